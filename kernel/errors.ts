import { GraphQLError } from 'graphql';
import { DOMAIN_ERRORS } from '../contracts/errors';

/**
 * The closed set of error codes the platform answers with, and the one place they map to HTTP statuses.
 * Subgraphs raise them as GraphQL errors (`extensions.code`); the REST facade turns them into RFC 9457 problems
 * whose `type` is derived from the code, so a client can switch on either.
 *
 * The kernel owns the codes any layer may answer with (the router's, the facade's and the realtime gateway's among
 * them); each domain owns its own in `contracts/errors/` (see index.ts there), merged here.
 */
export const GENERIC_ERRORS = {
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
  /** The router's: a request that is not the id (or the text) of a persisted operation. */
  OPERATION_NOT_PERSISTED: 400,
  /**
   * The edge's GraphQL endpoint (`/private/graphql`): an id that is not in the apps' manifest. Apollo's clients know
   * the code; 404 rather than Apollo Server's 200 (GraphQL-over-HTTP: no data, no 2xx) and rather than 400, on which
   * their persisted-query link would stop sending ids for the rest of the session.
   */
  PERSISTED_QUERY_NOT_FOUND: 404,
} as const;

/** Error codes and the HTTP status each is answered with. */
export type ErrorTable = Readonly<Record<string, number>>;

type CodesOf<T> = T extends ErrorTable ? keyof T & string : never;

/** One table from several, refusing a code that two of them declare (its status would depend on the order). */
export function mergeErrorTables<T extends readonly ErrorTable[]>(...tables: T): Readonly<Record<CodesOf<T[number]>, number>> {
  const merged: Record<string, number> = {};
  for (const table of tables) {
    for (const [code, status] of Object.entries(table)) {
      if (Object.hasOwn(merged, code)) throw new Error(`the error code ${code} is declared twice`);
      merged[code] = status;
    }
  }
  return merged as Record<CodesOf<T[number]>, number>;
}

export const ERROR_STATUS = mergeErrorTables(GENERIC_ERRORS, ...Object.values(DOMAIN_ERRORS));

export type ErrorCode = keyof typeof ERROR_STATUS;

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(ERROR_STATUS, code);

export const statusOf = (code: ErrorCode): number => ERROR_STATUS[code];

/** The problem `type` URI for a code: stable, documented, and the same in every API version. */
export const problemType = (code: ErrorCode): string => `https://errors.streaming.example/${code.toLowerCase().replace(/_/g, '-')}`;

export interface FieldProblem {
  field: string;
  message: string;
}

export interface DomainErrorOptions {
  fields?: FieldProblem[];
  /** Seconds after which the same request may succeed; answered as Retry-After. */
  retryAfter?: number;
}

/** A failure the caller can act on, raised by domain services and carried to the client with its code. */
export class DomainError extends GraphQLError {
  readonly fields?: FieldProblem[];
  readonly retryAfter?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    { fields, retryAfter }: DomainErrorOptions = {},
  ) {
    super(message, { extensions: { code, ...(fields ? { fields } : {}), ...(retryAfter ? { retryAfter } : {}) } });
    this.fields = fields;
    this.retryAfter = retryAfter;
  }
}
