import type { ChannelResolvers } from './types.generated';

/** The chat domain's view of a channel: only its room. */
export const Channel: ChannelResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  chatroom: (channel, _, ctx) => ctx.roomById.load(channel.id),
};
