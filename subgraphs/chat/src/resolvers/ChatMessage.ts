import type { ChatContext } from '../context';
import type { Message } from '../data/db';
import type { Fragment } from '../services/text';

export const ChatMessage = {
  __resolveReference: (ref: { id: string }, ctx: ChatContext) => ctx.messageById.load(ref.id),
  chatroom: (message: Message, _: unknown, ctx: ChatContext) => ctx.roomById.load(message.channelId),
  sender: (message: Message) => ({ __typename: 'User', id: message.senderId }),
  fragments: (message: Message) => message.fragments as unknown as Fragment[],
  replyTo: (message: Message, _: unknown, ctx: ChatContext) => (message.replyToId ? ctx.messageById.load(message.replyToId) : null),
  sentAt: (message: Message) => message.sentAt.toISOString(),
  deletedAt: (message: Message) => message.deletedAt?.toISOString() ?? null,
};
