import { createHmac, timingSafeEqual } from 'node:crypto';
import type {
  AssetReport,
  ClipCreated,
  ClipRequest,
  LiveInputCreated,
  LiveProvider,
  LiveSignal,
  ProviderEvent,
  WebhookVerifier,
} from './port';
import { ClipSourceUnavailable, WebhookRejected } from './port';

/** Where encoders push to Livepeer Studio (https://docs.livepeer.org/developers/guides/stream-via-obs). */
const LIVEPEER_RTMP_URL = 'rtmp://rtmp.livepeer.com/live';
const livepeerSrtUrl = (streamKey: string) => `srt://rtmp.livepeer.com:2935?streamid=${encodeURIComponent(streamKey)}`;

interface LivepeerStream {
  id: string;
  streamKey: string;
  playbackId: string;
}

export class LivepeerApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Livepeer Studio's streams over its REST API (https://docs.livepeer.org/api-reference/stream/create), with the
 * API key as a Bearer token. The base URL comes from config so tests point it at a fake.
 *
 * Livepeer has no call that replaces a stream's key: rotating creates a new stream for the channel and deletes the
 * old one, whose key the provider then refuses. The channel gets a new provider id and playback id with it.
 */
export class LivepeerProvider implements LiveProvider {
  readonly name = 'livepeer';
  readonly webhookDialect = 'livepeer';

  constructor(private readonly options: { baseUrl: string; apiKey: string; timeoutMs?: number }) {}

  async createLiveInput(channelId: string): Promise<LiveInputCreated> {
    const stream = await this.call('POST', '/api/stream', {
      // The dashboard shows which channel a stream is; webhooks name the stream by its id.
      name: `channel-${channelId}`,
      record: true,
      playbackPolicy: { type: 'public' },
    });
    return {
      providerInputId: stream.id,
      streamKey: stream.streamKey,
      playbackId: stream.playbackId,
      rtmpUrl: LIVEPEER_RTMP_URL,
      srtUrl: livepeerSrtUrl(stream.streamKey),
    };
  }

  async rotateStreamKey(providerInputId: string, channelId: string) {
    const replacement = await this.createLiveInput(channelId);
    await this.call('DELETE', `/api/stream/${encodeURIComponent(providerInputId)}`);
    return {
      streamKey: replacement.streamKey,
      srtUrl: replacement.srtUrl,
      providerInputId: replacement.providerInputId,
      playbackId: replacement.playbackId,
    };
  }

  /**
   * A recording's asset is the one Livepeer made of the session (its id the session's), deleted as any asset
   * (https://docs.livepeer.org/api-reference/asset/delete); one already gone answers 404.
   */
  async deleteAsset(providerAssetId: string) {
    await this.call('DELETE', `/api/asset/${encodeURIComponent(providerAssetId)}`, undefined, [404]);
  }

  /**
   * A clip of a stream or its recording by playback id, over a window of unix milliseconds
   * (https://docs.livepeer.org/api-reference/stream/create-clip): Livepeer answers with the clip's asset at once
   * and makes it asynchronously.
   */
  async createClip(request: ClipRequest): Promise<ClipCreated> {
    const { playbackId, startedAt } = request.source;
    if (!playbackId || !startedAt) throw new ClipSourceUnavailable('Livepeer needs the playback id and start of the stream to clip');
    const startTime = startedAt.getTime() + Math.round(request.startSeconds * 1000);
    const answer = await this.request<{ asset?: { id?: unknown } }>('POST', '/api/clip', {
      playbackId,
      startTime,
      endTime: startTime + Math.round(request.durationSeconds * 1000),
      name: request.title || `clip-${request.clipId}`,
    });
    const assetId = answer?.asset?.id;
    if (typeof assetId !== 'string' || !assetId) throw new LivepeerApiError(502, 'Livepeer answered POST /api/clip without an asset');
    return { assetId };
  }

  private async call(method: string, path: string, body?: object, tolerated: number[] = []): Promise<LivepeerStream> {
    const stream = await this.request<Partial<LivepeerStream> | undefined>(method, path, body, tolerated);
    if (stream === undefined) return undefined as never;
    if (!stream.id || !stream.streamKey || !stream.playbackId) {
      throw new LivepeerApiError(502, `Livepeer answered ${method} ${path} without a stream`);
    }
    return stream as LivepeerStream;
  }

  private async request<T>(method: string, path: string, body?: object, tolerated: number[] = []): Promise<T> {
    const response = await fetch(new URL(path, this.options.baseUrl), {
      method,
      headers: { authorization: `Bearer ${this.options.apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    if (tolerated.includes(response.status)) return undefined as never;
    if (!response.ok) {
      // Livepeer's error body lists what went wrong, never a key: it is safe to keep in the message.
      const detail = await response.text().catch(() => '');
      throw new LivepeerApiError(response.status, `Livepeer answered ${response.status} to ${method} ${path}: ${detail.slice(0, 200)}`);
    }
    if (method === 'DELETE') return undefined as never;
    return (await response.json()) as T;
  }
}

/**
 * Livepeer's stream events and the lifecycle signal each is. Livepeer reports no separate connection, and a drop only
 * as the stream going idle: a stream is live when the provider starts it, and dropped when it goes idle. Started
 * again within the reconnect window, it is the same stream; otherwise it ended when it dropped, which the webhooks
 * worker's drop check records once the window has passed (Livepeer says nothing more).
 */
export const LIVEPEER_SIGNALS: Readonly<Record<string, LiveSignal>> = {
  'stream.started': 'active',
  'stream.idle': 'disconnected',
};

/**
 * Livepeer's asset events and the state each reports. An asset event names no stream: the platform takes those of
 * the clips it asked for and of the recordings it holds as VODs, each looked up by its asset id.
 */
export const LIVEPEER_ASSET_STATES: Readonly<Record<string, AssetReport['status']>> = {
  'asset.ready': 'ready',
  'asset.failed': 'failed',
};

/**
 * Livepeer's events about the recording of a stream's session (https://docs.livepeer.org/developers/core-concepts/studio/webhooks):
 * it starts with the session, waits once the session is over (the recording being made an asset, whose id is the
 * session's), and is ready to be played. A failure comes as the recording asset's `asset.failed`.
 */
export const LIVEPEER_RECORDING_STATES: Readonly<Record<string, AssetReport['status']>> = {
  'recording.started': 'recording',
  'recording.waiting': 'recording',
  'recording.ready': 'ready',
};

/** An asset event's `payload`: the asset's id and a snapshot of it (playback id, length in `videoSpec`). */
function livepeerAsset(payload: unknown, status: AssetReport['status']): AssetReport | null {
  const { id, snapshot } = (payload ?? {}) as { id?: unknown; snapshot?: { playbackId?: unknown; videoSpec?: { duration?: unknown } } };
  if (typeof id !== 'string' || !id || id.length > 200) return null;
  const duration = snapshot?.videoSpec?.duration;
  return {
    assetId: id,
    status,
    durationSeconds: typeof duration === 'number' && duration >= 0 ? duration : null,
    playbackId: typeof snapshot?.playbackId === 'string' && snapshot.playbackId.length <= 200 ? snapshot.playbackId : null,
  };
}

interface LivepeerSession {
  id?: unknown;
  parentId?: unknown;
  assetId?: unknown;
  sourceSegmentsDuration?: unknown;
}

/**
 * A recording event's session (`payload.session`): the recording's asset is the one Livepeer names `assetId`, the
 * session's own id until it does. Livepeer forms a recorded session's playback URL from the session id, so a ready
 * recording plays by it; its length is the duration of the session's source segments.
 */
function livepeerRecording(payload: unknown, status: AssetReport['status']): { streamId: unknown; asset: AssetReport } | null {
  const session = ((payload ?? {}) as { session?: LivepeerSession }).session;
  const assetId = session?.assetId ?? session?.id;
  if (typeof assetId !== 'string' || !assetId || assetId.length > 200) return null;
  const duration = session?.sourceSegmentsDuration;
  return {
    streamId: session?.parentId,
    asset: {
      assetId,
      status,
      durationSeconds: typeof duration === 'number' && duration >= 0 ? duration : null,
      playbackId: status === 'ready' && typeof session?.id === 'string' && session.id.length <= 200 ? session.id : null,
    },
  };
}

const SIGNATURE = /^[0-9a-f]{64}$/;

/** The `timestamp` (unix milliseconds) a Livepeer event carries in its body. */
function bodyTimestamp(raw: Buffer): number {
  let event: unknown;
  try {
    event = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new WebhookRejected('malformed', 'the body is not JSON');
  }
  const timestamp = (event as { timestamp?: unknown } | null)?.timestamp;
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) {
    throw new WebhookRejected('malformed', 'the body is not a Livepeer event (timestamp)');
  }
  return timestamp;
}

/**
 * Livepeer's webhook scheme (https://docs.livepeer.org/developers/guides/setup-and-listen-to-webhooks): the header
 * `Livepeer-Signature: t=<unix milliseconds>,v1=<hex HMAC-SHA256 of the raw body>`. The timestamp is not signed
 * itself; the body carries the same one, which is: a header whose `t` differs from the body's is refused, and the
 * tolerance is measured on the signed one. Any of several secrets is accepted during a rotation.
 */
export class LivepeerWebhooks implements WebhookVerifier {
  constructor(
    private readonly secrets: readonly string[],
    private readonly toleranceSeconds = 300,
  ) {}

  verify(raw: Buffer, header: string | undefined, now: Date): void {
    if (!this.secrets.length) throw new WebhookRejected('signature', 'Livepeer webhooks are not configured here');
    if (!header) throw new WebhookRejected('signature', 'the Livepeer-Signature header is missing');
    const fields = header.split(',').map((part) => part.trim().split('='));
    const timestamp = fields.find(([name]) => name === 't')?.[1];
    const signatures = fields
      .filter(([name, value]) => name === 'v1' && value && SIGNATURE.test(value))
      .map(([, value]) => Buffer.from(value, 'hex'));
    if (!timestamp || !/^\d{1,15}$/.test(timestamp) || !signatures.length) {
      throw new WebhookRejected('signature', 'the Livepeer-Signature header is malformed');
    }
    const valid = this.secrets.some((secret) => {
      const expected = createHmac('sha256', secret).update(raw).digest();
      return signatures.some((signature) => timingSafeEqual(signature, expected));
    });
    if (!valid) throw new WebhookRejected('signature', 'the Livepeer-Signature does not match the body');
    const signedAt = bodyTimestamp(raw);
    if (signedAt !== Number(timestamp)) throw new WebhookRejected('signature', 'the Livepeer-Signature timestamp is not the body’s');
    if (Math.abs(now.getTime() - signedAt) > this.toleranceSeconds * 1000) {
      throw new WebhookRejected('stale', `the webhook was signed more than ${this.toleranceSeconds} seconds ago`);
    }
  }

  parse(raw: Buffer): ProviderEvent {
    const timestamp = bodyTimestamp(raw);
    const { id, event: type, stream, payload } = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    if (typeof id !== 'string' || !id || id.length > 200 || typeof type !== 'string') {
      throw new WebhookRejected('malformed', 'the body is not a Livepeer event (id, event, timestamp)');
    }
    const assetStatus = LIVEPEER_ASSET_STATES[type];
    if (assetStatus) {
      const asset = livepeerAsset(payload, assetStatus);
      if (!asset) throw new WebhookRejected('malformed', 'the event names no asset');
      return { eventId: id, eventType: type, asset, occurredAt: new Date(timestamp) };
    }
    const recordingStatus = LIVEPEER_RECORDING_STATES[type];
    if (recordingStatus) {
      const recording = livepeerRecording(payload, recordingStatus);
      if (!recording) throw new WebhookRejected('malformed', 'the event names no recorded session');
      // The stream a recording event is delivered with is the session's parent; the session names it too.
      const streamId = (stream as { id?: unknown } | null | undefined)?.id ?? recording.streamId;
      if (typeof streamId !== 'string' || !streamId) throw new WebhookRejected('malformed', 'the event names no stream');
      return { eventId: id, eventType: type, asset: recording.asset, providerInputId: streamId, occurredAt: new Date(timestamp) };
    }
    const signal = LIVEPEER_SIGNALS[type];
    if (!signal) throw new WebhookRejected('unknown-event', `Livepeer event ${type.slice(0, 100)} is not handled`);
    const streamId = (stream as { id?: unknown } | null | undefined)?.id;
    if (typeof streamId !== 'string' || !streamId) throw new WebhookRejected('malformed', 'the event names no stream');
    return { eventId: id, eventType: type, signal, providerInputId: streamId, occurredAt: new Date(timestamp) };
  }
}

/** A Livepeer-Signature header for `raw`, as Livepeer computes it: `t` must be the body's `timestamp`. */
export function signLivepeerWebhook(secret: string, raw: string | Buffer, unixMilliseconds: number): string {
  return `t=${unixMilliseconds},v1=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}
