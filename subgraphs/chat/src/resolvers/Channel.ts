import type { ChatContext } from '../context';

/** The chat domain's view of a channel: only its room. */
export const Channel = {
  __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
  chatroom: (channel: { id: string }, _: unknown, ctx: ChatContext) => ctx.roomById.load(channel.id),
};
