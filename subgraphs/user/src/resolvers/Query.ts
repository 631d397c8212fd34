import { actsForUser } from '../../../../kernel/access';
import type { UserContext } from '../context';
import type { AuditFilter } from '../services/staff/audit-log';

export const Query = {
  // The user a session or an app acts for; staff and app tokens without a user have no "me" here.
  me: (_: unknown, __: unknown, ctx: UserContext) =>
    actsForUser(ctx.identity) ? ctx.users.load(ctx.identity.userId) : null,
  user: (_: unknown, args: { login: string }, ctx: UserContext) => ctx.accounts.byLogin(args.login),
  adminUsers: (_: unknown, args: { query: string; first: number }, ctx: UserContext) => ctx.staff.suspension.searchUsers(ctx.identity, args.query, args.first),
  staffPermissions: (_: unknown, __: unknown, ctx: UserContext) => ctx.staff.roles.listPermissions(ctx.identity),
  staffRoles: (_: unknown, __: unknown, ctx: UserContext) => ctx.staff.roles.listRoles(ctx.identity),
  auditLog: (_: unknown, args: AuditFilter, ctx: UserContext) => ctx.staff.auditLog.search(ctx.identity, args),
  developerApps: (_: unknown, __: unknown, ctx: UserContext) => ctx.apps.list(ctx.identity),
  developerApp: (_: unknown, args: { clientId: string }, ctx: UserContext) => ctx.apps.get(ctx.identity, args.clientId),
};
