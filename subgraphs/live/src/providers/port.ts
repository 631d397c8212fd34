/**
 * The streaming provider, an edge the platform does not own: it holds each channel's live input (where encoders
 * push RTMP/SRT), and tells the platform what happens to it through signed webhooks. Each adapter speaks one
 * provider's API; the domain sees only this port.
 */
export interface LiveInputCreated {
  /** The provider's id of the input; its webhooks name it. */
  providerInputId: string;
  /** The secret the encoder sends. */
  streamKey: string;
  playbackId: string;
  rtmpUrl: string;
  srtUrl: string | null;
}

export interface LiveProvider {
  /** Stored with each input, e.g. `mux`. */
  readonly name: string;
  /** The webhook dialect its events arrive in: the `{provider}` of `/webhooks/v1/live/{provider}`. */
  readonly webhookDialect: WebhookDialect;
  createLiveInput(channelId: string): Promise<LiveInputCreated>;
  /**
   * A new stream key for the input; the provider refuses the old one from then on. A provider that cannot replace
   * a key replaces the input, and names the new one and its playback id.
   */
  rotateStreamKey(providerInputId: string, channelId: string): Promise<RotatedKey>;
  /** Deletes a recording's asset: its VOD was deleted. One already gone is not an error. */
  deleteAsset(providerAssetId: string): Promise<void>;
  /**
   * Asks for a clip: a new asset cut from a live stream's recording or a VOD, which the provider makes
   * asynchronously and reports ready through its asset webhooks.
   */
  createClip(request: ClipRequest): Promise<ClipCreated>;
}

/** What a clip is cut from, in the provider's terms. */
export interface ClipSource {
  /** The provider's asset holding the video: the live stream's recording, or the VOD's asset; null when unknown. */
  assetId: string | null;
  /** The playback id of the live input (a live stream) or of the VOD. */
  playbackId: string | null;
  /** When the source's video began (the stream went live): what the offsets count from. */
  startedAt: Date | null;
}

export interface ClipRequest {
  /** The platform's id of the clip: the provider keeps it with the asset (passthrough). */
  clipId: string;
  source: ClipSource;
  /** Seconds from the start of the source. */
  startSeconds: number;
  durationSeconds: number;
  title: string;
}

export interface ClipCreated {
  /** The provider's id of the clip's asset, which its asset webhooks name. */
  assetId: string;
  /** Set by a provider that has the clip at once, without a webhook to come (the local provider). */
  ready?: { playbackId: string; durationSeconds: number };
}

/** The source has nothing the provider can cut from yet (no recording asset, no playback id). */
export class ClipSourceUnavailable extends Error {}

export interface RotatedKey {
  streamKey: string;
  srtUrl: string | null;
  providerInputId?: string;
  playbackId?: string;
}

export type WebhookDialect = 'mux' | 'livepeer';

/** What a provider's webhook says, mapped onto the platform's one lifecycle. */
export type LiveSignal = 'connected' | 'active' | 'disconnected' | 'idle';

/** What a provider says of the recording of a live input: the asset that becomes the stream's VOD. */
export interface AssetReport {
  /** The provider's id of the asset. */
  assetId: string;
  status: 'recording' | 'ready' | 'failed';
  durationSeconds: number | null;
  playbackId: string | null;
}

export interface ProviderEvent {
  /** The provider's id of the event: the inbox records each once. */
  eventId: string;
  /** The provider's own type, e.g. `video.live_stream.active`. */
  eventType: string;
  /** For a live stream event: what it does to the stream's lifecycle. */
  signal?: LiveSignal;
  /** For a recording's asset event: the asset as the provider reports it. */
  asset?: AssetReport;
  /** The live input it is about; absent for an asset made from no live stream (a clip's). */
  providerInputId?: string;
  /** The provider's timestamp, which orders events whatever order they arrive in. */
  occurredAt: Date;
}

/** Why a webhook is refused; the domain answers each with its own code, and records nothing. */
export class WebhookRejected extends Error {
  constructor(
    readonly reason: 'signature' | 'stale' | 'malformed' | 'unknown-event',
    message: string,
  ) {
    super(message);
  }
}

/** Verifies and reads one dialect's webhooks. */
export interface WebhookVerifier {
  /** Throws WebhookRejected unless `signature` signs exactly `raw` with a current secret, recently enough. */
  verify(raw: Buffer, signature: string | undefined, now: Date): void;
  /** Throws WebhookRejected unless `raw` is an event of a type the lifecycle handles. */
  parse(raw: Buffer): ProviderEvent;
}
