import type { ChnlContext } from '../context';
import type { UpdateChannelInput } from '../services/channels.service';

export const Mutation = {
  updateChannel: (_: unknown, args: { id: string; input: UpdateChannelInput }, ctx: ChnlContext) =>
    ctx.channels.update(args.id, ctx.identity, args.input),
  followChannel: (_: unknown, args: { channelId: string }, ctx: ChnlContext) =>
    ctx.channels.follow(args.channelId, ctx.identity.userId),
  unfollowChannel: (_: unknown, args: { channelId: string }, ctx: ChnlContext) =>
    ctx.channels.unfollow(args.channelId, ctx.identity.userId),
};
