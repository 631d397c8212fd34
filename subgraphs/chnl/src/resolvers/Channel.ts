import type { Channel as ChannelRow } from '../data/db';
import type { ChnlContext } from '../context';

export const Channel = {
  __resolveReference: (ref: { id: string }, ctx: ChnlContext) => ctx.channelById.load(ref.id),
  owner: (channel: ChannelRow) => ({ __typename: 'User', id: channel.ownerId }),
  socialLinks: (channel: ChannelRow) => (Array.isArray(channel.socialLinks) ? channel.socialLinks : []),
  followedByViewer: (channel: ChannelRow, _: unknown, ctx: ChnlContext) => ctx.followedByViewer.load(channel.id),
  followers: (channel: ChannelRow, args: { first?: number | null; after?: string | null }, ctx: ChnlContext) =>
    ctx.channels.followers(channel, ctx.identity, args.first, args.after),
  moderators: (channel: ChannelRow, _: unknown, ctx: ChnlContext) => ctx.channels.members(channel.id, 'moderator'),
  vips: (channel: ChannelRow, _: unknown, ctx: ChnlContext) => ctx.channels.members(channel.id, 'vip'),
  createdAt: (channel: ChannelRow) => channel.createdAt.toISOString(),
  updatedAt: (channel: ChannelRow) => channel.updatedAt.toISOString(),
};
