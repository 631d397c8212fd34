import type { ChatroomResolvers } from './types.generated';

export const Chatroom: ChatroomResolvers = {
  __resolveReference: (ref, ctx) => ctx.roomById.load(ref.channelId),
  channel: (room) => ({ __typename: 'Channel', id: room.channelId }),
  settings: (room) => room,
  messages: (room, args, ctx) => ctx.messages.history(room, args.first, args.before),
  blockedTerms: (room, _, ctx) => ctx.moderation.blockedTerms(ctx.identity, room.channelId),
  emotes: (room, _, ctx) => ctx.emotes.forRoom(room.channelId),
};
