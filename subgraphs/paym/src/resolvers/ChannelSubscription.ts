import { isEntitled } from '../services/entitlements.service';
import type { ChannelSubscriptionResolvers } from './types.generated';

export const ChannelSubscription: ChannelSubscriptionResolvers = {
  channel: (entitlement) => ({ id: entitlement.channelId }),
  store: (entitlement) => entitlement.store as never,
  state: (entitlement) => entitlement.state as never,
  entitled: (entitlement) => isEntitled(entitlement.state),
};
