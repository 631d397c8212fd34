import type { ChannelRole } from '../data/db';

export const ChannelMember = {
  user: (member: ChannelRole) => ({ __typename: 'User', id: member.userId }),
  since: (member: ChannelRole) => member.createdAt.toISOString(),
};
