import { hasScope } from '../../../../kernel/access';
import type { UserResolvers } from './types.generated';

export const User: UserResolvers = {
  __resolveReference: (ref, ctx) => ctx.users.load(ref.id),
  // The account itself (a session, or the account just signed up), an app acting for it with user:read:email, or
  // staff allowed to read accounts.
  email: (user, _, ctx) =>
    (ctx.self.has(user.id) && (ctx.identity.kind !== 'oauth' || hasScope(ctx.identity, 'user:read:email'))) || ctx.staffReader
      ? user.email
      : null,
  suspendedAt: (user, _, ctx) => (ctx.staffReader ? user.suspendedAt : null),
};
