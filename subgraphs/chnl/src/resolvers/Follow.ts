import type { Follow as FollowRow } from '../data/db';

export const Follow = {
  user: (follow: FollowRow) => ({ __typename: 'User', id: follow.userId }),
  followedAt: (follow: FollowRow) => follow.createdAt.toISOString(),
};
