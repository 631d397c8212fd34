import type { ChatContext } from '../context';
import type { ChatSettingsInput } from '../services/rooms.service';

interface RoomArgs {
  channelId: string;
}

export const Mutation = {
  sendChatMessage: (_: unknown, args: RoomArgs & { text: string; replyToId?: string | null }, ctx: ChatContext) =>
    ctx.messages.send(ctx.identity, args.channelId, args.text, args.replyToId),
  deleteChatMessage: (_: unknown, args: RoomArgs & { messageId: string }, ctx: ChatContext) =>
    ctx.messages.delete(ctx.identity, args.channelId, args.messageId),
  banChatUser: (_: unknown, args: RoomArgs & { userId: string; durationSeconds?: number | null; reason?: string | null }, ctx: ChatContext) =>
    ctx.moderation.ban(ctx.identity, args.channelId, args.userId, args.durationSeconds, args.reason),
  unbanChatUser: async (_: unknown, args: RoomArgs & { userId: string }, ctx: ChatContext) => {
    await ctx.moderation.unban(ctx.identity, args.channelId, args.userId);
    return ctx.rooms.get(args.channelId);
  },
  clearChat: (_: unknown, args: RoomArgs, ctx: ChatContext) => ctx.rooms.clear(ctx.identity, args.channelId),
  updateChatSettings: (_: unknown, args: RoomArgs & { input: ChatSettingsInput }, ctx: ChatContext) =>
    ctx.rooms.updateSettings(ctx.identity, args.channelId, args.input),
  addChatBlockedTerm: (_: unknown, args: RoomArgs & { term: string }, ctx: ChatContext) =>
    ctx.moderation.addBlockedTerm(ctx.identity, args.channelId, args.term),
  removeChatBlockedTerm: (_: unknown, args: RoomArgs & { id: string }, ctx: ChatContext) =>
    ctx.moderation.removeBlockedTerm(ctx.identity, args.channelId, args.id),
  createChannelEmote: (_: unknown, args: RoomArgs & { code: string; name: string }, ctx: ChatContext) =>
    ctx.emotes.createForChannel(ctx.identity, args.channelId, { code: args.code, name: args.name }),
};
