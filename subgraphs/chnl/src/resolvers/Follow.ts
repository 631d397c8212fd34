import type { FollowResolvers } from './types.generated';

export const Follow: FollowResolvers = {
  user: (follow) => ({ __typename: 'User', id: follow.userId }),
  followedAt: (follow) => follow.createdAt,
};
