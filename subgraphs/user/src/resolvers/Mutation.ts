import type { UserContext } from '../context';
import type { SignUpInput } from '../services/accounts.service';

export const Mutation = {
  signUp: (_: unknown, args: { input: SignUpInput }, ctx: UserContext) => ctx.accounts.signUp(args.input),
  logIn: (_: unknown, args: { login: string; password: string }, ctx: UserContext) =>
    ctx.accounts.logIn(args.login, args.password),
};
