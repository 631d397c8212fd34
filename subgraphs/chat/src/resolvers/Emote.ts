import type { Emote as EmoteRow } from '../data/db';

export const Emote = {
  global: (emote: EmoteRow) => emote.channelId === null,
};
