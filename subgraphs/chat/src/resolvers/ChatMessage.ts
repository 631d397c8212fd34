import { storedFragments } from '../services/text';
import type { ChatMessageResolvers } from './types.generated';

export const ChatMessage: ChatMessageResolvers = {
  __resolveReference: (ref, ctx) => ctx.messageById.load(ref.id),
  chatroom: async (message, _, ctx) => {
    const room = await ctx.roomById.load(message.channelId);
    // Rooms are never deleted; a missing one fails the non-null field, with the ids in the log.
    if (!room) throw new Error(`message ${message.id}: room ${message.channelId} not found`);
    return room;
  },
  sender: (message) => ({ __typename: 'User', id: message.senderId }),
  fragments: (message) => storedFragments(message.fragments),
  replyTo: (message, _, ctx) => (message.replyToId ? ctx.messageById.load(message.replyToId) : null),
};
