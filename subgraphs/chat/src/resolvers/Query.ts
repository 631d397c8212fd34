import type { QueryResolvers } from './types.generated';

export const Query: QueryResolvers = {
  chatroom: (_, args, ctx) => ctx.roomById.load(args.channelId),
  activeChatBans: (_, args, ctx) => ctx.moderation.activeBans(ctx.identity, args.first ?? 1000, args.after),
};
