import { Channel } from './Channel';
import { ChannelSubscription } from './ChannelSubscription';
import { Mutation } from './Mutation';
import { PaymentFlag } from './PaymentFlag';
import { Payout } from './Payout';
import { Query } from './Query';
import { User } from './User';
import type { Resolvers } from './types.generated';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Payout,
  PaymentFlag,
  Channel,
  User,
  ChannelSubscription,
  PaymentStore: { STRIPE: 'stripe', APPLE: 'apple', GOOGLE: 'google' },
  PaymentFlagReason: { SIGNALS: 'signals', REFUND_RATE: 'refund_rate' },
  PayoutState: { PENDING: 'pending', PAID: 'paid', FAILED: 'failed' },
  EntitlementState: {
    PENDING: 'pending',
    ACTIVE: 'active',
    GRACE: 'grace',
    ON_HOLD: 'on_hold',
    EXPIRED: 'expired',
    REFUNDED: 'refunded',
    REVOKED: 'revoked',
  },
};
