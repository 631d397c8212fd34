/** The payment domain's error codes and the HTTP status each is answered with. */
export const PAYM_ERRORS = {
  /** Only the channel's broadcaster manages its subscription products. */
  PAYM_NOT_BROADCASTER: 403,
  /** The channel is not known to the payment domain (yet: it learns channels shortly after they are created). */
  PAYM_CHANNEL_NOT_FOUND: 404,
  /** The channel sells no such tier, or not in that currency. */
  PAYM_PRODUCT_NOT_FOUND: 404,
  /** A store product id already given to another channel's tier. */
  PAYM_STORE_PRODUCT_TAKEN: 409,
  /** A broadcaster cannot subscribe to their own channel. */
  PAYM_OWN_CHANNEL: 422,
  /** The caller is already entitled to this channel's subscription. */
  PAYM_ALREADY_SUBSCRIBED: 409,
  /** The store is not configured here, or did not answer: try again later. */
  PAYM_STORE_UNAVAILABLE: 503,
  /** Notifications from this store are not taken here. */
  PAYM_STORE_UNKNOWN: 404,
  /** A notification whose signature, certificate chain or token is missing, wrong, expired or for another audience. */
  PAYM_WEBHOOK_SIGNATURE_INVALID: 401,
  /** A correctly signed notification outside the tolerance: a replay, or a clock far off. */
  PAYM_WEBHOOK_STALE: 401,
  /** A notification body that is not the store's. */
  PAYM_WEBHOOK_MALFORMED: 400,
  /** A notification naming an event type, product or subscription the domain cannot act on. */
  PAYM_WEBHOOK_UNKNOWN_EVENT: 422,
} as const;
