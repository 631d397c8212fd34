import type { ClipResolvers } from './types.generated';

export const Clip: ClipResolvers = {
  __resolveReference: (ref, ctx) => ctx.clipById.load(ref.id),
  channel: (clip) => ({ id: clip.channelId }),
  creator: (clip) => ({ id: clip.creatorId }),
  stream: (clip, _, ctx) => (clip.streamId ? ctx.streamById.load(clip.streamId) : null),
  vod: (clip, _, ctx) => (clip.vodId ? ctx.vodById.load(clip.vodId) : null),
  state: (clip) => clip.state as never,
  thumbnailUrl: (clip, _, ctx) => ctx.thumbnails.url(clip.playbackId, clip.durationSeconds / 2),
};
