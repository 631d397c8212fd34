import type { QueryResolvers } from './types.generated';

export const Query: QueryResolvers = {
  liveIngest: (_, args, ctx) => ctx.ingest.get(ctx.identity, args.channelId),
};
