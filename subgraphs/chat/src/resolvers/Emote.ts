import type { EmoteResolvers } from './types.generated';

export const Emote: EmoteResolvers = {
  global: (emote) => emote.channelId === null,
};
