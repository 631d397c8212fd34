import type { UserContext } from '../context';
import type { SignUpInput } from '../services/accounts.service';
import type { DeveloperAppInput, IssuedApp } from '../services/developer-apps.service';

const withSecret = ({ app, clientSecret }: IssuedApp) => ({ ...app, clientSecret });

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
  createDeveloperApp: async (_: unknown, args: { input: DeveloperAppInput }, ctx: UserContext) =>
    withSecret(await ctx.apps.create(ctx.identity, args.input)),
  deleteDeveloperApp: async (_: unknown, args: { clientId: string }, ctx: UserContext) => {
    await ctx.apps.delete(ctx.identity, args.clientId);
    return { deleted: true };
  },
  rotateDeveloperAppSecret: async (_: unknown, args: { clientId: string }, ctx: UserContext) =>
    withSecret(await ctx.apps.rotateSecret(ctx.identity, args.clientId)),
};
