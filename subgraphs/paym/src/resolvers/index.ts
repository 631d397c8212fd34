import { Channel } from './Channel';
import { ChannelSubscription } from './ChannelSubscription';
import { Mutation } from './Mutation';
import { User } from './User';
import type { Resolvers } from './types.generated';

export const resolvers: Resolvers = {
  Mutation,
  Channel,
  User,
  ChannelSubscription,
  PaymentStore: { STRIPE: 'stripe', APPLE: 'apple', GOOGLE: 'google' },
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
