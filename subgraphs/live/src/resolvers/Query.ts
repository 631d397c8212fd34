import type { QueryResolvers } from './types.generated';

export const Query: QueryResolvers = {
  clip: (_, args, ctx) => ctx.clipById.load(args.id),
  liveIngest: (_, args, ctx) => ctx.ingest.get(ctx.identity, args.channelId),
  streams: (_, args, ctx) => ctx.streams.list(args),
  vod: (_, args, ctx) => ctx.vodById.load(args.id),
};
