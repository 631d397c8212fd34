import type { UserResolvers } from './types.generated';

/** The channel domain's view of a user: only their channel, found by owner. */
export const User: UserResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  channel: (user, _, ctx) => ctx.channelByOwner.load(user.id),
};
