import type { UserContext } from '../context';

export const Query = {
  me: (_: unknown, __: unknown, ctx: UserContext) => (ctx.identity.userId ? ctx.users.load(ctx.identity.userId) : null),
  user: (_: unknown, args: { login: string }, ctx: UserContext) => ctx.accounts.byLogin(args.login),
  developerApps: (_: unknown, __: unknown, ctx: UserContext) => ctx.apps.list(ctx.identity),
  developerApp: (_: unknown, args: { clientId: string }, ctx: UserContext) => ctx.apps.get(ctx.identity, args.clientId),
};
