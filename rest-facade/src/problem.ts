import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { type ErrorCode, type FieldProblem, isErrorCode, problemType, statusOf } from '../../kernel/errors';
import { type Exchange, sendText } from '../../kernel/http';

const PROBLEM_CONTENT_TYPE = 'application/problem+json';

interface ProblemOptions {
  errors?: FieldProblem[];
  headers?: Record<string, string>;
  /** What went wrong behind the facade: logged, never answered. */
  cause?: unknown;
}

/** A failure answered as an RFC 9457 problem. Thrown wherever a request is handled; rendered in one place. */
export class ProblemError extends Error {
  readonly status: number;
  readonly errors?: FieldProblem[];
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    options: ProblemOptions = {},
  ) {
    super(detail ?? code, { cause: options.cause });
    this.status = statusOf(code);
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export interface GraphQLErrorShape {
  message?: unknown;
  extensions?: { code?: unknown; fields?: unknown; retryAfter?: unknown };
}

const isFieldProblem = (value: unknown): value is FieldProblem =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as FieldProblem).field === 'string' &&
  typeof (value as FieldProblem).message === 'string';

/**
 * The router's first error as the client's problem. Only codes of the closed set reach the client; anything else
 * means the graph failed in a way the API does not define, so the client gets a bare 502 and the log the rest.
 */
export function problemFromGraphQL(error: GraphQLErrorShape): ProblemError {
  const code = error.extensions?.code;
  if (!isErrorCode(code)) return new ProblemError('BAD_GATEWAY', 'the request could not be completed', { cause: error });
  const retryAfter = error.extensions?.retryAfter;
  const headers: Record<string, string> = {};
  if (typeof retryAfter === 'number' && retryAfter > 0) headers['retry-after'] = String(Math.ceil(retryAfter));
  // A server-side failure's message may describe internals; a client's own mistake is explained to it.
  if (statusOf(code) >= 500) return new ProblemError(code, undefined, { cause: error, headers });
  const fields = Array.isArray(error.extensions?.fields) ? error.extensions.fields.filter(isFieldProblem) : undefined;
  // RFC 6750 §3.1: the client learns which scope to ask the user for.
  const scope = code === 'INSUFFICIENT_SCOPE' ? fields?.find((f) => f.field === 'scope')?.message : undefined;
  if (scope && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope))
    headers['www-authenticate'] = `Bearer error="insufficient_scope", scope="${scope}"`;
  return new ProblemError(code, typeof error.message === 'string' ? error.message : undefined, { errors: fields, headers });
}

/** The request a problem answers: the API paths' exchange, or an express request's own. */
type Answering = Pick<Exchange, 'res' | 'id' | 'log'>;

function sendProblem({ res, id }: Answering, problem: ProblemError): void {
  // RFC 9110 §15.5.2: a 401 names the scheme that would succeed (the router's own challenge, when it sent one).
  if (problem.status === 401 && !res.getHeader('www-authenticate')) res.setHeader('www-authenticate', 'Bearer');
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  sendText(
    res,
    problem.status,
    PROBLEM_CONTENT_TYPE,
    JSON.stringify({
      type: problemType(problem.code),
      title: STATUS_CODES[problem.status],
      status: problem.status,
      detail: problem.detail,
      code: problem.code,
      requestId: id,
      errors: problem.errors?.length ? problem.errors : undefined,
    }),
  );
}

interface BodyParserError {
  type: string;
  status: number;
  message: string;
}

const isBodyParserError = (error: unknown): error is BodyParserError =>
  error instanceof Error &&
  typeof (error as Partial<BodyParserError>).type === 'string' &&
  typeof (error as Partial<BodyParserError>).status === 'number';

/** The content codings express.json() decodes on Node 20 (body-parser 2), for the 415 of any other (RFC 9110 §12.5.3). */
const ACCEPTED_ENCODINGS = 'gzip, deflate, br';

/**
 * zlib's failure to decode a body the client labelled gzip, deflate or br: body-parser marks it a client error
 * (status 400, exposed) but, unlike its other errors, gives it no type, only zlib's code (Z_DATA_ERROR,
 * ERR__ERROR_FORMAT_PADDING_2, ...).
 */
const isDecodingError = (error: unknown): boolean => {
  const { status, expose, type, code } = error as { status?: unknown; expose?: unknown; type?: unknown; code?: unknown };
  return error instanceof Error && status === 400 && expose === true && type === undefined && typeof code === 'string';
};

function toProblem(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (isDecodingError(error)) return new ProblemError('BAD_REQUEST', 'the body is not encoded as its Content-Encoding says');
  if (isBodyParserError(error) && error.status < 500) {
    if (error.type === 'entity.parse.failed') return new ProblemError('BAD_REQUEST', 'the body is not valid JSON');
    if (error.type === 'entity.too.large') return new ProblemError('PAYLOAD_TOO_LARGE', 'the body is larger than 64kb');
    if (error.type === 'encoding.unsupported') {
      return new ProblemError('UNSUPPORTED_MEDIA_TYPE', error.message, { headers: { 'accept-encoding': ACCEPTED_ENCODINGS } });
    }
    if (error.status === 415) return new ProblemError('UNSUPPORTED_MEDIA_TYPE', error.message);
    return new ProblemError('BAD_REQUEST', error.message);
  }
  // Thrown by decodeURIComponent while the route's path parameters are read.
  if (error instanceof URIError) return new ProblemError('BAD_REQUEST', 'the path is not valid percent-encoding');
  return undefined;
}

/** Answers `error` as a problem: the client's mistakes as they are, anything else 500 or 5xx with the log told why. */
export function answerProblem(answering: Answering, error: unknown): void {
  let problem = toProblem(error);
  if (!problem) {
    answering.log.error({ err: error }, 'unexpected error');
    problem = new ProblemError('INTERNAL', 'an unexpected error occurred');
  } else if (problem.status >= 500) {
    answering.log.warn({ code: problem.code, err: problem.cause }, 'upstream failure');
  }
  sendProblem(answering, problem);
}

export const problemHandler: ErrorRequestHandler = (error, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  answerProblem({ res, id: req.id, log: req.log }, error);
};
