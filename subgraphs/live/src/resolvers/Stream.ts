import type { StreamResolvers } from './types.generated';

export const Stream: StreamResolvers = {
  __resolveReference: (ref, ctx) => ctx.streamById.load(ref.id),
  channel: (stream) => ({ id: stream.channelId }),
  state: (stream) => stream.state as never,
  thumbnailUrl: (stream, _, ctx) => (stream.endedAt ? null : ctx.thumbnails.live(stream.playbackId, stream.startedAt)),
};
