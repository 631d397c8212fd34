import type { QueryResolvers } from './types.generated';

export const Query: QueryResolvers = {
  // The user a session or an app acts for; staff and app tokens without a user have no "me" here.
  me: (_, __, ctx) =>
    (ctx.identity.kind === 'session' || ctx.identity.kind === 'oauth') && ctx.identity.userId ? ctx.users.load(ctx.identity.userId) : null,
  user: (_, args, ctx) => ctx.accounts.byLogin(args.login),
  adminUsers: (_, args, ctx) => ctx.staff.searchUsers(ctx.identity, args.query, args.first),
  staffPermissions: (_, __, ctx) => ctx.staff.listPermissions(ctx.identity),
  staffRoles: (_, __, ctx) => ctx.staff.listRoles(ctx.identity),
  auditLog: (_, args, ctx) => ctx.staff.auditLog(ctx.identity, args),
  developerApps: (_, __, ctx) => ctx.apps.list(ctx.identity),
  developerApp: (_, args, ctx) => ctx.apps.get(ctx.identity, args.clientId),
};
