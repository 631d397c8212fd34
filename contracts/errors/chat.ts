/** The chat domain's error codes and the HTTP status each is answered with. */
export const CHAT_ERRORS = {
  CHAT_ROOM_NOT_FOUND: 404,
  CHAT_MESSAGE_NOT_FOUND: 404,
  CHAT_MESSAGE_TOO_LONG: 400,
  CHAT_NOT_MODERATOR: 403,
  CHAT_BANNED: 403,
  /** Timed out: answered with Retry-After, the seconds until the timeout ends. */
  CHAT_TIMED_OUT: 403,
  /** Answered with Retry-After, the seconds until the sender may write again. */
  CHAT_SLOW_MODE: 429,
  CHAT_FOLLOWERS_ONLY: 403,
  /** The room is in subscriber-only mode and the sender holds no subscription to the channel. */
  CHAT_SUBSCRIBERS_ONLY: 403,
  CHAT_EMOTE_ONLY: 422,
  /** Unique-chat: the same text was sent in the room by anyone within the last 30 seconds. */
  CHAT_UNIQUE_CHAT: 422,
  /** The same sender sent the same text within the last 30 seconds. */
  CHAT_DUPLICATE: 422,
  CHAT_BLOCKED_TERM: 422,
  /** A ban the caller may not give: themselves, the broadcaster, or (for a moderator) another moderator. */
  CHAT_BAN_REFUSED: 422,
  CHAT_EMOTE_CODE_TAKEN: 409,
  CHAT_BLOCKED_TERM_EXISTS: 409,
} as const;
