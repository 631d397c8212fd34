import type { UserResolvers } from './types.generated';

/** The payment domain's view of a user: their subscriptions, to themself only. */
export const User: UserResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  subscriptions: (user, _, ctx) => ctx.entitlements.forUser(ctx.identity, user.id),
};
