import type { ChannelResolvers } from './types.generated';

/** The live domain's view of a channel: its stream on air. */
export const Channel: ChannelResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  stream: (channel, _, ctx) => ctx.openStreamByChannel.load(channel.id),
  streamState: async (channel, _, ctx) => ((await ctx.openStreamByChannel.load(channel.id))?.state ?? 'offline') as never,
};
