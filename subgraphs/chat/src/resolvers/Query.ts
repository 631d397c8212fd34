import type { ChatContext } from '../context';

export const Query = {
  chatroom: (_: unknown, args: { channelId: string }, ctx: ChatContext) => ctx.roomById.load(args.channelId),
};
