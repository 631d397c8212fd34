import type { ChnlContext } from '../context';

export const Query = {
  channel: (_: unknown, args: { id: string }, ctx: ChnlContext) => ctx.channelById.load(args.id),
};
