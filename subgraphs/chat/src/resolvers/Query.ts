import type { QueryResolvers } from './types.generated';

export const Query: QueryResolvers = {
  chatroom: (_, args, ctx) => ctx.roomById.load(args.channelId),
};
