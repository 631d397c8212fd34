import type { ChatBanResolvers } from './types.generated';

export const ChatBan: ChatBanResolvers = {
  user: (ban) => ({ __typename: 'User', id: ban.userId }),
  moderator: (ban) => ({ __typename: 'User', id: ban.moderatorId }),
  bannedAt: (ban) => ban.createdAt,
};
