import type { MutationResolvers } from './types.generated';

export const Mutation: MutationResolvers = {
  saveSubscriptionProduct: (_, args, ctx) => ctx.products.save(ctx.identity, args.channelId, args.input),
  setPayoutAccount: (_, args, ctx) => ctx.payouts.setAccount(ctx.identity, args.channelId, args.input.stripeAccountId),
  createSubscriptionCheckout: (_, args, ctx) => ctx.checkout.create(ctx.identity, args.channelId, args.input, args.idempotencyKey),
  receivePaymentWebhook: (_, args, ctx) =>
    ctx.webhooks.receive(args.store, args.payload, { signature: args.signature, authorization: args.authorization }),
};
