import { hasScope } from '../../../../kernel/access';
import type { UserContext } from '../context';
import type { UserResolvers } from './types.generated';

// The account itself (a session, or the account just signed up), an app acting for it with user:read:email, or
// staff allowed to read accounts.
const readsEmail = (user: { id: string }, ctx: UserContext) =>
  (ctx.self.has(user.id) && (ctx.identity.kind !== 'oauth' || hasScope(ctx.identity, 'user:read:email'))) || ctx.staffReader;

export const User: UserResolvers = {
  __resolveReference: (ref, ctx) => ctx.users.load(ref.id),
  email: (user, _, ctx) => (readsEmail(user, ctx) ? user.email : null),
  emailVerified: (user, _, ctx) => (readsEmail(user, ctx) ? user.emailVerifiedAt !== null : null),
  suspendedAt: (user, _, ctx) => (ctx.staffReader ? user.suspendedAt : null),
};
