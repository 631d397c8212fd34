import { actingUser } from '../../../../kernel/access';
import type { IssuedApp } from '../services/developer-apps.service';
import type { MutationResolvers } from './types.generated';

const withSecret = ({ app, clientSecret }: IssuedApp) => ({ ...app, clientSecret });

export const Mutation: MutationResolvers = {
  signUp: async (_, args, ctx) => {
    const user = await ctx.accounts.signUp(args.input, ctx.identity.ip);
    ctx.self.add(user.id);
    await ctx.emailVerification.afterSignUp(user, ctx.log);
    return user;
  },
  verifyEmail: async (_, args, ctx) => {
    const user = await ctx.emailVerification.verify(args.token);
    ctx.self.add(user.id);
    return user;
  },
  resendEmailVerification: async (_, _args, ctx) => {
    await ctx.emailVerification.resend(actingUser(ctx.identity));
    return { sent: true };
  },
  logIn: (_, args, ctx) => ctx.accounts.logIn(args.login, args.password, ctx.identity.ip),
  refreshSession: (_, args, ctx) => ctx.accounts.refreshSession(args.refreshToken),
  revokeSession: async (_, args, ctx) => {
    await ctx.accounts.revokeSession(args.refreshToken);
    return { revoked: true };
  },
  adminLogIn: (_, args, ctx) => ctx.staff.signIn.logIn(args.login, args.password, args.totpCode, ctx.identity),
  confirmStaffMfa: (_, args, ctx) => ctx.staff.signIn.confirmMfa(args.totpCode, ctx.identity),
  auditExplorerQuery: (_, args, ctx) =>
    ctx.staff.auditLog.recordExplorerQuery(ctx.identity, args.document, args.operationName, args.variables),
  auditStaffRead: (_, args, ctx) => ctx.staff.auditLog.recordStaffRead(ctx.identity, args.operationName, args.variables),
  suspendUser: (_, args, ctx) => ctx.staff.suspension.suspend(ctx.identity, args.userId, args.reason),
  unsuspendUser: (_, args, ctx) => ctx.staff.suspension.unsuspend(ctx.identity, args.userId, args.reason),
  createStaffRole: (_, args, ctx) => ctx.staff.roles.createRole(ctx.identity, args.input, args.reason ?? null),
  updateStaffRole: (_, args, ctx) => ctx.staff.roles.updateRole(ctx.identity, args.name, args.patch, args.reason ?? null),
  deleteStaffRole: (_, args, ctx) => ctx.staff.roles.deleteRole(ctx.identity, args.name, args.reason ?? null),
  addStaffMember: (_, args, ctx) => ctx.staff.roles.addStaff(ctx.identity, args.userId, args.roles, args.reason ?? null),
  grantStaffRole: (_, args, ctx) => ctx.staff.roles.grantRole(ctx.identity, args.userId, args.role, args.reason ?? null),
  revokeStaffRole: (_, args, ctx) => ctx.staff.roles.revokeRole(ctx.identity, args.userId, args.role, args.reason ?? null),
  createDeveloperApp: async (_, args, ctx) => withSecret(await ctx.apps.create(ctx.identity, args.input)),
  deleteDeveloperApp: async (_, args, ctx) => {
    await ctx.apps.delete(ctx.identity, args.clientId);
    return { deleted: true };
  },
  rotateDeveloperAppSecret: async (_, args, ctx) => withSecret(await ctx.apps.rotateSecret(ctx.identity, args.clientId)),
};
