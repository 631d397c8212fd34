import type { ChannelResolvers, SocialLink } from './types.generated';

/** The column is free JSON: a link shows when it has the name and URL the schema promises. */
const isSocialLink = (link: unknown): link is SocialLink =>
  typeof link === 'object' &&
  link !== null &&
  'name' in link &&
  typeof link.name === 'string' &&
  'url' in link &&
  typeof link.url === 'string';

export const Channel: ChannelResolvers = {
  __resolveReference: (ref, ctx) => ctx.channelById.load(ref.id),
  owner: (channel) => ({ __typename: 'User', id: channel.ownerId }),
  categoryRef: (channel) => (channel.categoryId ? { __typename: 'Category', id: channel.categoryId } : null),
  socialLinks: (channel) => (Array.isArray(channel.socialLinks) ? channel.socialLinks.filter(isSocialLink) : []),
  followedByViewer: (channel, _, ctx) => ctx.followedByViewer.load(channel.id),
  followers: (channel, args, ctx) => ctx.channels.followers(channel, ctx.identity, args.first, args.after),
  moderators: (channel, _, ctx) => ctx.channels.members(channel.id, 'moderator'),
  vips: (channel, _, ctx) => ctx.channels.members(channel.id, 'vip'),
};
