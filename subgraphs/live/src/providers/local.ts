import { randomBytes, randomUUID } from 'node:crypto';
import type { ClipCreated, ClipRequest, LiveInputCreated, LiveProvider } from './port';

const key = () => `live_${randomBytes(24).toString('base64url')}`;

/**
 * The provider of `npm start` and the tests: it issues ids and keys itself and calls nothing. Its ingest is the
 * platform's own lookup of a key's digest (IngestService.authorize), so a rotated key is refused as soon as the
 * new one is stored. Its webhooks are Mux's, so the simulator and the tests drive it as they would Mux; its clips
 * are ready at once.
 */
export class LocalProvider implements LiveProvider {
  readonly name = 'local';
  readonly webhookDialect = 'mux';

  constructor(private readonly host = '127.0.0.1') {}

  async createLiveInput(): Promise<LiveInputCreated> {
    return {
      providerInputId: randomUUID(),
      streamKey: key(),
      playbackId: randomBytes(16).toString('hex'),
      rtmpUrl: `rtmp://${this.host}:1935/live`,
      srtUrl: null,
    };
  }

  async rotateStreamKey() {
    return { streamKey: key(), srtUrl: null };
  }

  async deleteAsset() {}

  /** The local provider has a clip as soon as it is asked for: the domain records its readiness as a webhook. */
  async createClip(request: ClipRequest): Promise<ClipCreated> {
    return { assetId: randomUUID(), ready: { playbackId: randomBytes(16).toString('hex'), durationSeconds: request.durationSeconds } };
  }
}
