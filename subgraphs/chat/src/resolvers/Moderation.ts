import type { Ban, BlockedTerm, Emote as EmoteRow } from '../data/db';

export const ChatBan = {
  user: (ban: Ban) => ({ __typename: 'User', id: ban.userId }),
  moderator: (ban: Ban) => ({ __typename: 'User', id: ban.moderatorId }),
  expiresAt: (ban: Ban) => ban.expiresAt?.toISOString() ?? null,
  bannedAt: (ban: Ban) => ban.createdAt.toISOString(),
};

export const ChatBlockedTerm = {
  createdBy: (term: BlockedTerm) => ({ __typename: 'User', id: term.createdBy }),
  createdAt: (term: BlockedTerm) => term.createdAt.toISOString(),
};

export const Emote = {
  global: (emote: EmoteRow) => emote.channelId === null,
};
