import type { ChannelResolvers } from './types.generated';

/** The live domain's view of a channel: its stream on air, its history, VODs and clips. */
export const Channel: ChannelResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  stream: (channel, _, ctx) => ctx.openStreamByChannel.load(channel.id),
  streamState: async (channel, _, ctx) => ((await ctx.openStreamByChannel.load(channel.id))?.state ?? 'offline') as never,
  streams: (channel, args, ctx) => ctx.streams.history(channel.id, args.first, args.after),
  vods: (channel, args, ctx) => ctx.vods.ofChannel(channel.id, args.first, args.after),
  clips: (channel, args, ctx) => ctx.clips.ofChannel(channel.id, args.first, args.after),
};
