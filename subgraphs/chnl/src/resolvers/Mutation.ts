import { actsForUser } from '../../../../kernel/access';
import type { ChnlContext } from '../context';
import type { UpdateChannelInput } from '../services/channels.service';

const viewer = (ctx: ChnlContext) => (actsForUser(ctx.identity) ? ctx.identity.userId : undefined);

export const Mutation = {
  updateChannel: (_: unknown, args: { id: string; input: UpdateChannelInput }, ctx: ChnlContext) =>
    ctx.channels.update(args.id, ctx.identity, args.input),
  followChannel: (_: unknown, args: { channelId: string }, ctx: ChnlContext) =>
    ctx.channels.follow(args.channelId, viewer(ctx)),
  unfollowChannel: (_: unknown, args: { channelId: string }, ctx: ChnlContext) =>
    ctx.channels.unfollow(args.channelId, viewer(ctx)),
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
