import type { ChnlContext } from '../context';
import type { UpdateChannelInput } from '../services/channels.service';

export const Mutation = {
  updateChannel: (_: unknown, args: { id: string; input: UpdateChannelInput }, ctx: ChnlContext) =>
    ctx.channels.update(args.id, ctx.identity, args.input),
  followChannel: (_: unknown, args: { channelId: string }, ctx: ChnlContext) =>
    ctx.channels.follow(args.channelId, ctx.identity.userId),
  unfollowChannel: (_: unknown, args: { channelId: string }, ctx: ChnlContext) =>
    ctx.channels.unfollow(args.channelId, ctx.identity.userId),
  addChannelModerator: (_: unknown, args: MemberArgs, ctx: ChnlContext) =>
    ctx.channels.grantRole(ctx.identity, args.channelId, args.userId, 'moderator'),
  removeChannelModerator: (_: unknown, args: MemberArgs, ctx: ChnlContext) =>
    ctx.channels.revokeRole(ctx.identity, args.channelId, args.userId, 'moderator'),
  addChannelVip: (_: unknown, args: MemberArgs, ctx: ChnlContext) =>
    ctx.channels.grantRole(ctx.identity, args.channelId, args.userId, 'vip'),
  removeChannelVip: (_: unknown, args: MemberArgs, ctx: ChnlContext) =>
    ctx.channels.revokeRole(ctx.identity, args.channelId, args.userId, 'vip'),
};

interface MemberArgs {
  channelId: string;
  userId: string;
}
