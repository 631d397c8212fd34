import type { VodResolvers } from './types.generated';

export const Vod: VodResolvers = {
  __resolveReference: (ref, ctx) => ctx.vodById.load(ref.id),
  channel: (vod) => ({ id: vod.channelId }),
  stream: (vod, _, ctx) => (vod.streamId ? ctx.streamById.load(vod.streamId) : null),
  state: (vod) => vod.state as never,
  thumbnailUrl: (vod, _, ctx) => ctx.thumbnails.url(vod.playbackId, vod.durationSeconds ? vod.durationSeconds / 2 : undefined),
};
