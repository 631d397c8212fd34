import type { MutationResolvers } from './types.generated';

export const Mutation: MutationResolvers = {
  createClip: (_, { channelId, ...draft }, ctx) => ctx.clips.create(ctx.identity, channelId, draft),
  deleteVod: async (_, args, ctx) => ({ vodId: await ctx.vods.delete(ctx.identity, args.vodId) }),
  rotateStreamKey: (_, args, ctx) => ctx.ingest.rotate(ctx.identity, args.channelId),
  receiveLiveWebhook: (_, args, ctx) => ctx.webhooks.receive(args.provider, args.payload, args.signature),
};
