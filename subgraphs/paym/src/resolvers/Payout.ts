import type { PayoutResolvers } from './types.generated';

export const Payout: PayoutResolvers = {
  channel: (payout) => ({ id: payout.channelId }),
  state: (payout) => payout.state as never,
};
