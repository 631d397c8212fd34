import type { Ban } from '../data/db';

export const ChatBan = {
  user: (ban: Ban) => ({ __typename: 'User', id: ban.userId }),
  moderator: (ban: Ban) => ({ __typename: 'User', id: ban.moderatorId }),
  expiresAt: (ban: Ban) => ban.expiresAt?.toISOString() ?? null,
  bannedAt: (ban: Ban) => ban.createdAt.toISOString(),
};
