import type { User as UserRow } from '../data/db';
import type { UserContext } from '../context';

export const User = {
  __resolveReference: (ref: { id: string }, ctx: UserContext) => ctx.users.load(ref.id),
  email: (user: UserRow, _: unknown, ctx: UserContext) => (ctx.self.has(user.id) ? user.email : null),
  createdAt: (user: UserRow) => user.createdAt.toISOString(),
};
