import type { ChnlContext } from '../context';

/** The channel domain's view of a user: only their channel, found by owner. */
export const User = {
  __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
  channel: (user: { id: string }, _: unknown, ctx: ChnlContext) => ctx.channelByOwner.load(user.id),
};
