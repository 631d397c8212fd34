import type { MutationResolvers } from './types.generated';

export const Mutation: MutationResolvers = {
  rotateStreamKey: (_, args, ctx) => ctx.ingest.rotate(ctx.identity, args.channelId),
  receiveLiveWebhook: (_, args, ctx) => ctx.webhooks.receive(args.provider, args.payload, args.signature),
};
