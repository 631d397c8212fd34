import type { QueryResolvers } from './types.generated';

export const Query: QueryResolvers = {
  payouts: (_, args, ctx) => ctx.payouts.list(ctx.identity, args),
  paymentFlags: (_, args, ctx) => ctx.fraud.flagged(ctx.identity, args.first, args.after),
};
