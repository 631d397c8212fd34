import { actsForUser } from '../../../../kernel/access';
import type { UserResolvers } from './types.generated';

export const User: UserResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  // The inbox is the user's own: anyone else (another user, an app, staff) sees null.
  notifications: (user, args, ctx) =>
    actsForUser(ctx.identity) && ctx.identity.kind === 'session' && ctx.identity.userId === user.id ? ctx.inbox.page(user.id, args) : null,
};
