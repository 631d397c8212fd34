/** The live domain's error codes and the HTTP status each is answered with. */
export const LIVE_ERRORS = {
  /** The channel has no live input yet: it is created shortly after the channel. */
  LIVE_INPUT_NOT_FOUND: 404,
  /** Only the channel's broadcaster sees or rotates its ingest. */
  LIVE_NOT_BROADCASTER: 403,
  /** No VOD has this id (or it was deleted). */
  LIVE_VOD_NOT_FOUND: 404,
  /** A live clip of a channel that is not live. */
  LIVE_CHANNEL_OFFLINE: 409,
  /** The provider has nothing to cut the clip from yet (no recording of the stream, or a VOD not ready). */
  LIVE_CLIP_SOURCE_UNAVAILABLE: 409,
  /** No clip has this id. */
  LIVE_CLIP_NOT_FOUND: 404,
  /** A webhook for a provider the platform does not use. */
  LIVE_PROVIDER_UNKNOWN: 404,
  /** A webhook whose signature is missing, malformed or made with none of the current secrets. */
  LIVE_WEBHOOK_SIGNATURE_INVALID: 401,
  /** A correctly signed webhook whose timestamp is outside the tolerance: a replay, or a clock far off. */
  LIVE_WEBHOOK_STALE: 401,
  /** A webhook body that is not the provider's JSON event. */
  LIVE_WEBHOOK_MALFORMED: 400,
  /** A webhook of an event type the domain does not handle. */
  LIVE_WEBHOOK_UNKNOWN_EVENT: 422,
  /** A webhook naming a live input the platform does not know. */
  LIVE_WEBHOOK_UNKNOWN_STREAM: 422,
} as const;
