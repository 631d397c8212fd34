import type { UserContext } from '../context';

export const Query = {
  me: (_: unknown, __: unknown, ctx: UserContext) => (ctx.identity.userId ? ctx.users.load(ctx.identity.userId) : null),
  user: (_: unknown, args: { login: string }, ctx: UserContext) => ctx.accounts.byLogin(args.login),
};
