import type { MutationResolvers } from './types.generated';

export const Mutation: MutationResolvers = {
  sendChatMessage: async (_, args, ctx) => {
    const sent = await ctx.messages.send(ctx.identity, args.channelId, args.text, args.replyToId, ctx.log);
    ctx.chatterById.prime(sent.senderId, sent.sender);
    return sent;
  },
  deleteChatMessage: (_, args, ctx) => ctx.messages.delete(ctx.identity, args.channelId, args.messageId),
  banChatUser: (_, args, ctx) => ctx.moderation.ban(ctx.identity, args.channelId, args.userId, args.durationSeconds, args.reason),
  unbanChatUser: async (_, args, ctx) => {
    await ctx.moderation.unban(ctx.identity, args.channelId, args.userId);
    return ctx.rooms.get(args.channelId);
  },
  clearChat: (_, args, ctx) => ctx.rooms.clear(ctx.identity, args.channelId),
  updateChatSettings: (_, args, ctx) => ctx.rooms.updateSettings(ctx.identity, args.channelId, args.input),
  addChatBlockedTerm: (_, args, ctx) => ctx.moderation.addBlockedTerm(ctx.identity, args.channelId, args.term),
  removeChatBlockedTerm: (_, args, ctx) => ctx.moderation.removeBlockedTerm(ctx.identity, args.channelId, args.id),
  createChannelEmote: (_, args, ctx) => ctx.emotes.createForChannel(ctx.identity, args.channelId, { code: args.code, name: args.name }),
};
