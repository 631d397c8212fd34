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

/** Where encoders push to Mux (https://docs.mux.com/guides/configure-broadcast-software). */
const MUX_RTMP_URL = 'rtmps://global-live.mux.com:443/app';
const muxSrtUrl = (streamKey: string, passphrase: string | undefined) =>
  passphrase
    ? `srt://global-live.mux.com:6001?streamid=${encodeURIComponent(streamKey)}&passphrase=${encodeURIComponent(passphrase)}`
    : null;

interface MuxLiveStream {
  id: string;
  stream_key: string;
  srt_passphrase?: string;
  playback_ids?: { id: string; policy: string }[];
}

export class MuxApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Mux Video's live streams over its REST API (https://docs.mux.com/api-reference#video/tag/live-streams), with
 * HTTP Basic auth of an access token id and secret. The base URL comes from config so tests point it at a fake.
 */
export class MuxProvider implements LiveProvider {
  readonly name = 'mux';
  readonly webhookDialect = 'mux';

  constructor(
    private readonly options: {
      baseUrl: string;
      tokenId: string;
      tokenSecret: string;
      reconnectWindowSeconds?: number;
      timeoutMs?: number;
    },
  ) {}

  async createLiveInput(channelId: string): Promise<LiveInputCreated> {
    const stream = await this.call('POST', '/video/v1/live-streams', {
      playback_policy: ['public'],
      new_asset_settings: { playback_policy: ['public'] },
      reconnect_window: this.options.reconnectWindowSeconds ?? 60,
      // Webhooks carry it back, and Mux's dashboard shows which channel a stream is.
      passthrough: channelId,
    });
    const playbackId = stream.playback_ids?.find((p) => p.policy === 'public')?.id ?? stream.playback_ids?.[0]?.id;
    if (!playbackId) throw new MuxApiError(502, 'Mux created a live stream without a playback id');
    return {
      providerInputId: stream.id,
      streamKey: stream.stream_key,
      playbackId,
      rtmpUrl: MUX_RTMP_URL,
      srtUrl: muxSrtUrl(stream.stream_key, stream.srt_passphrase),
    };
  }

  async rotateStreamKey(providerInputId: string) {
    const stream = await this.call('POST', `/video/v1/live-streams/${encodeURIComponent(providerInputId)}/reset-stream-key`);
    return { streamKey: stream.stream_key, srtUrl: muxSrtUrl(stream.stream_key, stream.srt_passphrase) };
  }

  async deleteAsset(providerAssetId: string) {
    await this.call('DELETE', `/video/v1/assets/${encodeURIComponent(providerAssetId)}`, undefined, [404]);
  }

  /**
   * A clip is a new asset whose input is a time range of an existing one
   * (https://docs.mux.com/guides/create-clips-from-your-videos): the live stream's recording (its active asset) or
   * the VOD's. Mux makes it asynchronously and reports `video.asset.ready` for it, with the clip id as passthrough.
   */
  async createClip(request: ClipRequest): Promise<ClipCreated> {
    const { assetId } = request.source;
    if (!assetId) throw new ClipSourceUnavailable('Mux has no recording of this stream to clip yet');
    const asset = await this.request<{ id?: unknown }>('POST', '/video/v1/assets', {
      input: [
        {
          url: `mux://assets/${assetId}`,
          start_time: request.startSeconds,
          end_time: request.startSeconds + request.durationSeconds,
        },
      ],
      playback_policy: ['public'],
      passthrough: `clip:${request.clipId}`,
    });
    if (typeof asset.id !== 'string' || !asset.id) throw new MuxApiError(502, 'Mux answered POST /video/v1/assets without an asset');
    return { assetId: asset.id };
  }

  private async call(method: string, path: string, body?: object, tolerated: number[] = []): Promise<MuxLiveStream> {
    const stream = await this.request<MuxLiveStream | undefined>(method, path, body, tolerated);
    if (stream === undefined) return undefined as never;
    if (!stream.id || !stream.stream_key) throw new MuxApiError(502, `Mux answered ${method} ${path} without a live stream`);
    return stream;
  }

  private async request<T>(method: string, path: string, body?: object, tolerated: number[] = []): Promise<T> {
    const auth = Buffer.from(`${this.options.tokenId}:${this.options.tokenSecret}`).toString('base64');
    const response = await fetch(new URL(path, this.options.baseUrl), {
      method,
      headers: { authorization: `Basic ${auth}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    if (tolerated.includes(response.status) || (method === 'DELETE' && response.ok)) return undefined as never;
    if (!response.ok) {
      // Mux's error body names the problem, never a key: it is safe to keep in the message.
      const detail = await response.text().catch(() => '');
      throw new MuxApiError(response.status, `Mux answered ${response.status} to ${method} ${path}: ${detail.slice(0, 200)}`);
    }
    const parsed = (await response.json()) as { data?: T };
    if (!parsed.data) throw new MuxApiError(502, `Mux answered ${method} ${path} without data`);
    return parsed.data;
  }
}

/** Mux's live stream events and the lifecycle signal each is. */
export const MUX_SIGNALS: Readonly<Record<string, LiveSignal>> = {
  'video.live_stream.connected': 'connected',
  'video.live_stream.active': 'active',
  'video.live_stream.disconnected': 'disconnected',
  'video.live_stream.idle': 'idle',
};

/** Mux's asset events about a live stream's recording, and the VOD state each reports. */
export const MUX_ASSET_STATES: Readonly<Record<string, AssetReport['status']>> = {
  'video.asset.created': 'recording',
  'video.asset.ready': 'ready',
  'video.asset.errored': 'failed',
};

interface MuxAsset {
  id?: unknown;
  live_stream_id?: unknown;
  passthrough?: unknown;
  duration?: unknown;
  playback_ids?: { id?: unknown; policy?: unknown }[];
}

/**
 * An asset as a Mux asset event describes it: a live stream's recording (naming its live stream) or a clip this
 * platform asked for (its passthrough `clip:<id>`); null for any other asset.
 */
function muxAsset(data: MuxAsset | undefined, status: AssetReport['status']): { inputId?: string; asset: AssetReport } | null {
  if (typeof data?.id !== 'string' || !data.id || data.id.length > 200) return null;
  const recorded = typeof data.live_stream_id === 'string' && data.live_stream_id !== '';
  const clip = typeof data.passthrough === 'string' && data.passthrough.startsWith('clip:');
  if (!recorded && !clip) return null;
  const playbackIds = Array.isArray(data.playback_ids) ? data.playback_ids : [];
  const playbackId = (playbackIds.find((p) => p.policy === 'public') ?? playbackIds[0])?.id;
  return {
    // A clip cut from a live stream's recording is the clip's business, not the recording's.
    ...(recorded && !clip ? { inputId: data.live_stream_id as string } : {}),
    asset: {
      assetId: data.id,
      status,
      durationSeconds: typeof data.duration === 'number' && data.duration >= 0 ? data.duration : null,
      playbackId: typeof playbackId === 'string' ? playbackId : null,
    },
  };
}

const SIGNATURE = /^[0-9a-f]{64}$/;

/**
 * Mux's webhook scheme (https://docs.mux.com/guides/listen-for-webhooks#verify-webhook-signatures): the header
 * `Mux-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. Any of several secrets is accepted,
 * so one can be rotated without refusing deliveries signed with the other; a timestamp outside the tolerance is a
 * replay.
 */
export class MuxWebhooks implements WebhookVerifier {
  constructor(
    private readonly secrets: readonly string[],
    private readonly toleranceSeconds = 300,
  ) {}

  verify(raw: Buffer, header: string | undefined, now: Date): void {
    if (!this.secrets.length) throw new WebhookRejected('signature', 'Mux webhooks are not configured here');
    if (!header) throw new WebhookRejected('signature', 'the Mux-Signature header is missing');
    const fields = header.split(',').map((part) => part.trim().split('='));
    const timestamp = fields.find(([name]) => name === 't')?.[1];
    const signatures = fields
      .filter(([name, value]) => name === 'v1' && value && SIGNATURE.test(value))
      .map(([, value]) => Buffer.from(value, 'hex'));
    if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signatures.length) {
      throw new WebhookRejected('signature', 'the Mux-Signature header is malformed');
    }
    const signed = Buffer.concat([Buffer.from(`${timestamp}.`), raw]);
    const valid = this.secrets.some((secret) => {
      const expected = createHmac('sha256', secret).update(signed).digest();
      return signatures.some((signature) => timingSafeEqual(signature, expected));
    });
    if (!valid) throw new WebhookRejected('signature', 'the Mux-Signature does not match the body');
    if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > this.toleranceSeconds) {
      throw new WebhookRejected('stale', `the webhook was signed more than ${this.toleranceSeconds} seconds ago`);
    }
  }

  parse(raw: Buffer): ProviderEvent {
    let event: unknown;
    try {
      event = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new WebhookRejected('malformed', 'the body is not JSON');
    }
    const { id, type, created_at: createdAt, object, data } = (event ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || !id || id.length > 200 || typeof type !== 'string' || typeof createdAt !== 'string') {
      throw new WebhookRejected('malformed', 'the body is not a Mux event (id, type, created_at)');
    }
    const occurredAt = new Date(createdAt);
    if (Number.isNaN(occurredAt.getTime())) throw new WebhookRejected('malformed', 'created_at is not a date');
    const assetStatus = MUX_ASSET_STATES[type];
    if (assetStatus) {
      const recording = muxAsset(data as MuxAsset | undefined, assetStatus);
      if (!recording) throw new WebhookRejected('unknown-event', 'the asset was neither recorded from a live stream nor a clip');
      return { eventId: id, eventType: type, asset: recording.asset, providerInputId: recording.inputId, occurredAt };
    }
    const signal = MUX_SIGNALS[type];
    if (!signal) throw new WebhookRejected('unknown-event', `Mux event type ${type.slice(0, 100)} is not handled`);
    const inputId = (object as { id?: unknown } | undefined)?.id ?? (data as { id?: unknown } | undefined)?.id;
    if (typeof inputId !== 'string' || !inputId) throw new WebhookRejected('malformed', 'the event names no live stream');
    return { eventId: id, eventType: type, signal, providerInputId: inputId, occurredAt };
  }
}

/** A Mux-Signature header for `raw`, as Mux computes it: what tests and the simulator sign with. */
export function signMuxWebhook(secret: string, raw: string | Buffer, unixSeconds = Math.floor(Date.now() / 1000)): string {
  const digest = createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(`${unixSeconds}.`), Buffer.from(raw)]))
    .digest('hex');
  return `t=${unixSeconds},v1=${digest}`;
}
