import type { UserContext } from '../context';
import type { SignUpInput } from '../services/accounts.service';

export const Mutation = {
  signUp: async (_: unknown, args: { input: SignUpInput }, ctx: UserContext) => {
    const user = await ctx.accounts.signUp(args.input);
    ctx.self.add(user.id);
    return user;
  },
  logIn: (_: unknown, args: { login: string; password: string }, ctx: UserContext) =>
    ctx.accounts.logIn(args.login, args.password, ctx.identity.ip),
  refreshSession: (_: unknown, args: { refreshToken: string }, ctx: UserContext) =>
    ctx.accounts.refreshSession(args.refreshToken),
  revokeSession: async (_: unknown, args: { refreshToken: string }, ctx: UserContext) => {
    await ctx.accounts.revokeSession(args.refreshToken);
    return { revoked: true };
  },
};
