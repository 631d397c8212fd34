import type { ChannelMemberResolvers } from './types.generated';

export const ChannelMember: ChannelMemberResolvers = {
  user: (member) => ({ __typename: 'User', id: member.userId }),
  since: (member) => member.createdAt,
};
