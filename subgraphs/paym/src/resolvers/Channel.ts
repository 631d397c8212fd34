import type { ChannelResolvers } from './types.generated';

/** The payment domain's view of a channel: the tiers it sells. */
export const Channel: ChannelResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  subscriptionProducts: (channel, _, ctx) => ctx.productsByChannel.load(channel.id),
};
