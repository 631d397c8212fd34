import type { ChannelResolvers } from './types.generated';

/** The payment domain's view of a channel: the tiers it sells, and what its streamer was paid. */
export const Channel: ChannelResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  subscriptionProducts: (channel, _, ctx) => ctx.productsByChannel.load(channel.id),
  payouts: (channel, args, ctx) => ctx.payouts.ofChannel(ctx.identity, channel.id, args.first, args.after),
};
