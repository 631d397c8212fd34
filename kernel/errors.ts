import { GraphQLError } from 'graphql';

/**
 * The closed set of error codes the platform answers with, and the one place they map to HTTP statuses.
 * Subgraphs raise them as GraphQL errors (`extensions.code`); the REST facade turns them into RFC 9457 problems
 * whose `type` is derived from the code, so a client can switch on either.
 */
export const ERROR_STATUS = {
  // Any layer
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  /** An OAuth token without the scope the action needs; the facade names the scope in WWW-Authenticate. */
  INSUFFICIENT_SCOPE: 403,
  /** A staff action needs a second factor more recent than the staff token holds. */
  STAFF_MFA_REQUIRED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  BAD_GATEWAY: 502,
  UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
  // Router
  OPERATION_NOT_PERSISTED: 400,
  // user domain
  USER_LOGIN_TAKEN: 409,
  USER_EMAIL_TAKEN: 409,
  USER_INVALID_CREDENTIALS: 401,
  USER_NOT_FOUND: 404,
  USER_INVALID_REFRESH_TOKEN: 401,
  // chnl domain
  CHNL_NOT_FOUND: 404,
  CHNL_NOT_OWNER: 403,
  CHNL_SELF_FOLLOW: 422,
  // chat domain (rt-gtw refuses a banned user's subscriptions to the room with it)
  CHAT_BANNED: 403,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, code);

export const statusOf = (code: ErrorCode): number => ERROR_STATUS[code];

/** The problem `type` URI for a code: stable, documented, and the same in every API version. */
export const problemType = (code: ErrorCode): string =>
  `https://errors.streaming.example/${code.toLowerCase().replace(/_/g, '-')}`;

export interface FieldProblem {
  field: string;
  message: string;
}

/** A failure the caller can act on, raised by domain services and carried to the client with its code. */
export class DomainError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: FieldProblem[],
    /** Seconds after which the same request may succeed; answered as Retry-After. */
    readonly retryAfter?: number,
  ) {
    super(message, { extensions: { code, ...(fields ? { fields } : {}), ...(retryAfter ? { retryAfter } : {}) } });
  }
}
