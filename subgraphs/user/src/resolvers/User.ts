import type { User as UserRow } from '../data/db';
import type { UserContext } from '../context';

export const User = {
  __resolveReference: (ref: { id: string }, ctx: UserContext) => ctx.users.load(ref.id),
  email: (user: UserRow, _: unknown, ctx: UserContext) => (ctx.self.has(user.id) || ctx.staffReader ? user.email : null),
  createdAt: (user: UserRow) => user.createdAt.toISOString(),
  suspendedAt: (user: UserRow, _: unknown, ctx: UserContext) => (ctx.staffReader ? (user.suspendedAt?.toISOString() ?? null) : null),
};
