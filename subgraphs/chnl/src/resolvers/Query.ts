import type { QueryResolvers } from './types.generated';

export const Query: QueryResolvers = {
  channel: (_, args, ctx) => ctx.channelById.load(args.id),
};
