import { actsForUser } from '../../../../kernel/access';
import type { QueryResolvers } from './types.generated';

export const Query: QueryResolvers = {
  // The user a session or an app acts for; staff and app tokens without a user have no "me" here.
  me: (_, __, ctx) => (actsForUser(ctx.identity) ? ctx.users.load(ctx.identity.userId) : null),
  user: (_, args, ctx) => ctx.accounts.byLogin(args.login),
  adminUsers: (_, args, ctx) => ctx.staff.suspension.searchUsers(ctx.identity, args.query, args.first),
  staffPermissions: (_, __, ctx) => ctx.staff.roles.listPermissions(ctx.identity),
  staffRoles: (_, __, ctx) => ctx.staff.roles.listRoles(ctx.identity),
  auditLog: (_, args, ctx) => ctx.staff.auditLog.search(ctx.identity, args),
  developerApps: (_, __, ctx) => ctx.apps.list(ctx.identity),
  developerApp: (_, args, ctx) => ctx.apps.get(ctx.identity, args.clientId),
};
