import type { MutationResolvers } from './types.generated';

export const Mutation: MutationResolvers = {
  updateChannel: (_, args, ctx) => ctx.channels.update(args.id, ctx.identity, args.input),
  followChannel: (_, args, ctx) => ctx.channels.follow(args.channelId, ctx.identity.userId),
  unfollowChannel: (_, args, ctx) => ctx.channels.unfollow(args.channelId, ctx.identity.userId),
  addChannelModerator: (_, args, ctx) => ctx.channels.grantRole(ctx.identity, args.channelId, args.userId, 'moderator'),
  removeChannelModerator: (_, args, ctx) => ctx.channels.revokeRole(ctx.identity, args.channelId, args.userId, 'moderator'),
  addChannelVip: (_, args, ctx) => ctx.channels.grantRole(ctx.identity, args.channelId, args.userId, 'vip'),
  removeChannelVip: (_, args, ctx) => ctx.channels.revokeRole(ctx.identity, args.channelId, args.userId, 'vip'),
};
