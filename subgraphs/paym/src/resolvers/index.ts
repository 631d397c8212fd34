import { Channel } from './Channel';
import { ChannelSubscription } from './ChannelSubscription';
import { Mutation } from './Mutation';
import { Payout } from './Payout';
import { Query } from './Query';
import { User } from './User';
import type { Resolvers } from './types.generated';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Payout,
  Channel,
  User,
  ChannelSubscription,
  PaymentStore: { STRIPE: 'stripe', APPLE: 'apple', GOOGLE: 'google' },
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
