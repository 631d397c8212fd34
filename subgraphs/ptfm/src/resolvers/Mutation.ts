import { actingUser } from '../../../../kernel/access';
import type { MutationResolvers } from './types.generated';

export const Mutation: MutationResolvers = {
  markNotificationsRead: (_, args, ctx) => ctx.inbox.markRead(actingUser(ctx.identity), args.upToId),
  updateNotificationPreferences: (_, args, ctx) => ctx.preferences.update(actingUser(ctx.identity), args.input),
  muteChannelNotifications: (_, args, ctx) => ctx.preferences.mute(actingUser(ctx.identity), args.channelId, true),
  unmuteChannelNotifications: (_, args, ctx) => ctx.preferences.mute(actingUser(ctx.identity), args.channelId, false),
  registerPushSubscription: (_, args, ctx) => ctx.pushSubscriptions.register(actingUser(ctx.identity), args.input),
  createCategory: (_, args, ctx) => ctx.categories.create(ctx.identity, args.input, args.reason),
  updateCategory: (_, args, ctx) => ctx.categories.update(ctx.identity, args.id, args.input, args.reason),
  updatePlatformDefaults: (_, args, ctx) => ctx.defaults.update(ctx.identity, args.input, args.reason),
  assignTrustCase: (_, args, ctx) => ctx.cases.assign(ctx.identity, args.caseId, args.assigneeId, args.reason),
  resolveTrustCase: (_, args, ctx) => ctx.cases.resolve(ctx.identity, args.caseId, args.resolution, args.reason),
};
