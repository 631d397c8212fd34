import type { ChatContext } from '../context';
import type { Room } from '../data/db';

export const Chatroom = {
  __resolveReference: (ref: { channelId: string }, ctx: ChatContext) => ctx.roomById.load(ref.channelId),
  channel: (room: Room) => ({ __typename: 'Channel', id: room.channelId }),
  settings: (room: Room) => room,
  messages: (room: Room, args: { first?: number | null; before?: string | null }, ctx: ChatContext) =>
    ctx.messages.history(room, args.first, args.before),
  blockedTerms: (room: Room, _: unknown, ctx: ChatContext) => ctx.moderation.blockedTerms(ctx.identity, room.channelId),
  emotes: (room: Room, _: unknown, ctx: ChatContext) => ctx.emotes.forRoom(room.channelId),
  clearedAt: (room: Room) => room.clearedAt?.toISOString() ?? null,
};
