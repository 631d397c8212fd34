import { actsForUser } from '../../../../kernel/access';
import type { ChnlContext } from '../context';
import type { MutationResolvers } from './types.generated';

const viewer = (ctx: ChnlContext) => (actsForUser(ctx.identity) ? ctx.identity.userId : undefined);

export const Mutation: MutationResolvers = {
  updateChannel: (_, args, ctx) => ctx.channels.update(args.id, ctx.identity, args.input),
  followChannel: (_, args, ctx) => ctx.channels.follow(args.channelId, viewer(ctx)),
  unfollowChannel: (_, args, ctx) => ctx.channels.unfollow(args.channelId, viewer(ctx)),
  addChannelModerator: (_, args, ctx) => ctx.channels.grantRole(ctx.identity, args.channelId, args.userId, 'moderator'),
  removeChannelModerator: (_, args, ctx) => ctx.channels.revokeRole(ctx.identity, args.channelId, args.userId, 'moderator'),
  addChannelVip: (_, args, ctx) => ctx.channels.grantRole(ctx.identity, args.channelId, args.userId, 'vip'),
  removeChannelVip: (_, args, ctx) => ctx.channels.revokeRole(ctx.identity, args.channelId, args.userId, 'vip'),
};
