import type { UserContext } from '../context';
import type { SignUpInput } from '../services/accounts.service';
import type { StaffRoleInput } from '../services/staff/roles.service';

type Reasoned = { reason?: string | null };
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
  adminLogIn: (_: unknown, args: { login: string; password: string; totpCode: string }, ctx: UserContext) =>
    ctx.staff.signIn.logIn(args.login, args.password, args.totpCode, ctx.identity),
  confirmStaffMfa: (_: unknown, args: { totpCode: string }, ctx: UserContext) => ctx.staff.signIn.confirmMfa(args.totpCode, ctx.identity),
  suspendUser: (_: unknown, args: { userId: string } & Reasoned, ctx: UserContext) => ctx.staff.suspension.suspend(ctx.identity, args.userId, args.reason ?? null),
  unsuspendUser: (_: unknown, args: { userId: string } & Reasoned, ctx: UserContext) => ctx.staff.suspension.unsuspend(ctx.identity, args.userId, args.reason ?? null),
  createStaffRole: (_: unknown, args: { input: StaffRoleInput } & Reasoned, ctx: UserContext) =>
    ctx.staff.roles.createRole(ctx.identity, args.input, args.reason ?? null),
  updateStaffRole: (_: unknown, args: { name: string; patch: StaffRoleInput } & Reasoned, ctx: UserContext) =>
    ctx.staff.roles.updateRole(ctx.identity, args.name, args.patch, args.reason ?? null),
  deleteStaffRole: (_: unknown, args: { name: string } & Reasoned, ctx: UserContext) => ctx.staff.roles.deleteRole(ctx.identity, args.name, args.reason ?? null),
  addStaffMember: (_: unknown, args: { userId: string; roles: string[] } & Reasoned, ctx: UserContext) =>
    ctx.staff.roles.addStaff(ctx.identity, args.userId, args.roles, args.reason ?? null),
  grantStaffRole: (_: unknown, args: { userId: string; role: string } & Reasoned, ctx: UserContext) =>
    ctx.staff.roles.grantRole(ctx.identity, args.userId, args.role, args.reason ?? null),
  revokeStaffRole: (_: unknown, args: { userId: string; role: string } & Reasoned, ctx: UserContext) =>
    ctx.staff.roles.revokeRole(ctx.identity, args.userId, args.role, args.reason ?? null),
  createDeveloperApp: async (_: unknown, args: { input: DeveloperAppInput }, ctx: UserContext) =>
    withSecret(await ctx.apps.create(ctx.identity, args.input)),
  deleteDeveloperApp: async (_: unknown, args: { clientId: string }, ctx: UserContext) => {
    await ctx.apps.delete(ctx.identity, args.clientId);
    return { deleted: true };
  },
  rotateDeveloperAppSecret: async (_: unknown, args: { clientId: string }, ctx: UserContext) =>
    withSecret(await ctx.apps.rotateSecret(ctx.identity, args.clientId)),
};
