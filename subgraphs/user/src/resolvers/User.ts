import { hasScope } from '../../../../kernel/access';
import type { User as UserRow } from '../data/db';
import type { UserContext } from '../context';

export const User = {
  __resolveReference: (ref: { id: string }, ctx: UserContext) => ctx.users.load(ref.id),
  // The account itself (a session, or the account just signed up), an app acting for it with user:read:email, or
  // staff allowed to read accounts.
  email: (user: UserRow, _: unknown, ctx: UserContext) =>
    (ctx.self.has(user.id) && (ctx.identity.kind !== 'oauth' || hasScope(ctx.identity, 'user:read:email'))) || ctx.staffReader ? user.email : null,
  createdAt: (user: UserRow) => user.createdAt.toISOString(),
  suspendedAt: (user: UserRow, _: unknown, ctx: UserContext) => (ctx.staffReader ? (user.suspendedAt?.toISOString() ?? null) : null),
};
