import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { parse } from 'graphql';
import { type ErrorCode, type FieldProblem, isErrorCode, statusOf } from '../../kernel/errors';
import { GRAPHQL_RESPONSE } from '../../kernel/graphql-http';
import type { Logger } from '../../kernel/log';
import { type PersistedOperation, readManifest } from '../../kernel/persisted';
import { textProblems } from '../../kernel/text';
import { type CacheHints, type CachePolicy, cachePolicyOf, loadCacheHints } from './cache-policy';
import { type GraphQLErrorShape, ProblemError } from './problem';
import type { RouterClient } from './router-client';

/** Where our own apps send persisted operations, and the manifest of the operations they may send. */
export const GRAPHQL_PATH = '/private/graphql';
export const APP_API = 'app.v1';

const LEGACY_JSON = 'application/json';

interface GraphQLError {
  message: string;
  path?: readonly (string | number)[];
  extensions: { code: ErrorCode; fields?: FieldProblem[]; retryAfter?: number };
}

/** A request refused before the router saw it, answered as a GraphQL error. */
class Refusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly fields?: FieldProblem[],
  ) {
    super(message);
  }
}

/** Codes graphql-js and Apollo give a request whose document or variables do not fit the schema. */
const REQUEST_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

const isFieldProblem = (value: unknown): value is FieldProblem =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as FieldProblem).field === 'string' &&
  typeof (value as FieldProblem).message === 'string';

/**
 * An error of the graph as the client may see it: a code of the closed set (the one the REST facade maps), its own
 * message when the request was at fault, a generic one when the platform was. Variables that do not fit the
 * operation are the client's mistake (VALIDATION_FAILED); any other code means the graph failed in a way the API
 * does not define, answered BAD_GATEWAY.
 */
function clientError(error: GraphQLErrorShape & { path?: unknown }, log: Logger): GraphQLError {
  const path = Array.isArray(error.path) ? { path: error.path as (string | number)[] } : {};
  const raw = error.extensions?.code;
  const message = typeof error.message === 'string' ? error.message : undefined;
  if (typeof raw === 'string' && REQUEST_CODES.has(raw)) {
    return { message: message ?? 'the request is invalid', ...path, extensions: { code: 'VALIDATION_FAILED' } };
  }
  if (!isErrorCode(raw)) {
    log.warn({ graphQLError: error }, 'graph error outside the closed set of codes');
    return { message: 'the request could not be completed', ...path, extensions: { code: 'BAD_GATEWAY' } };
  }
  const retryAfter = error.extensions?.retryAfter;
  const fields = Array.isArray(error.extensions?.fields) ? error.extensions.fields.filter(isFieldProblem) : [];
  return {
    // A server-side failure's message may describe internals; a client's own mistake is explained to it.
    message: statusOf(raw) >= 500 ? 'the service could not complete the request, retry later' : (message ?? raw),
    ...path,
    extensions: {
      code: raw,
      ...(fields.length ? { fields } : {}),
      ...(typeof retryAfter === 'number' && retryAfter > 0 ? { retryAfter } : {}),
    },
  };
}

/** The media type of the answer: graphql-response+json, or plain JSON for a client that accepts only that. */
function negotiate(accept: string | undefined): string | undefined {
  if (!accept) return GRAPHQL_RESPONSE;
  const ranges = accept
    .split(',')
    .map((range) => range.split(';'))
    .filter(([, ...params]) => !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p)))
    .map(([type]) => type.trim().toLowerCase());
  if (ranges.some((r) => r === GRAPHQL_RESPONSE || r === 'application/*' || r === '*/*')) return GRAPHQL_RESPONSE;
  if (ranges.includes(LEGACY_JSON)) return LEGACY_JSON;
  return undefined;
}

/** A GET parameter or POST member that must be JSON text (GET) or a JSON value (POST) holding an object. */
function objectParameter(value: unknown, name: string, fromQuery: boolean): Record<string, unknown> | undefined {
  let parsed = value;
  if (fromQuery && value !== undefined) {
    if (typeof value !== 'string') throw new Refusal('BAD_REQUEST', `${name} must be given once, as JSON`);
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Refusal('BAD_REQUEST', `${name} is not valid JSON`);
    }
  }
  if (parsed === undefined || parsed === null) return undefined;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Refusal('BAD_REQUEST', `${name} must be an object`);
  return parsed as Record<string, unknown>;
}

function stringParameter(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Refusal('BAD_REQUEST', `${name} must be a string`);
  return value;
}

/** A strong validator of the exact bytes answered. */
const etagOf = (body: string) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;

/** RFC 9110 §13.1.2: If-None-Match compares weakly, and `*` matches any current answer. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => {
    const candidate = tag.trim();
    return candidate === '*' || candidate.replace(/^W\//, '') === opaque;
  });
}

/**
 * The Cache-Control of a successful GET: public for an anonymous caller when every field allows it, private for an
 * authenticated caller whatever the hints say (their answer is theirs: follow state, and whatever a field adds
 * later), and no-store when a field is not to be cached at all.
 */
export function cacheControl(policy: CachePolicy, authenticated: boolean): string {
  if (policy.maxAge <= 0) return 'no-store';
  const scope = authenticated || policy.scope === 'PRIVATE' ? 'private' : 'public';
  return `${scope}, max-age=${policy.maxAge}`;
}

export interface GraphQLEndpointOptions {
  router: RouterClient;
  /** The apps' manifest: the only operations this endpoint runs. */
  operations: PersistedOperation[];
  hints: CacheHints;
}

/** The apps' manifest and the subgraphs' cache hints, as committed. */
export const loadGraphQLEndpointOptions = (router: RouterClient): GraphQLEndpointOptions => ({
  router,
  operations: readManifest(APP_API).operations,
  hints: loadCacheHints(),
});

/**
 * `/private/graphql`: our own apps run the operations of their manifest (`contracts/operations/app.v1/`) by id,
 * with Apollo's persisted-query protocol over POST, and over GET for queries, which caches and CDNs may keep as
 * the fields' `@cacheControl` hints allow. Only ids run: a document sent as text is never executed. The router
 * takes the request as the `app.v1` API (session tokens or anonymous callers, exactly as the Private API), applies
 * the same depth, alias and rate limits as everywhere, and signs the caller's identity for the subgraphs.
 */
export function createGraphQLEndpoint(options: GraphQLEndpointOptions): Router {
  const { router } = options;
  const operations = new Map(options.operations.map((op) => [op.id, op]));
  const policies = new Map(
    options.operations.filter((op) => op.type === 'query').map((op) => [op.id, cachePolicyOf(parse(op.body), options.hints)]),
  );

  const endpoint = express.Router();
  endpoint.use(express.json({ limit: '64kb', type: ['application/json', 'application/*+json'] }));

  endpoint.all('/', async (req: Request, res: Response) => {
    res.setHeader('vary', 'Accept, Authorization');
    const media = negotiate(req.headers.accept);
    const isGet = req.method === 'GET' || req.method === 'HEAD';

    const send = (status: number, payload: { data?: unknown; errors?: GraphQLError[] }, headers: Record<string, string> = {}) => {
      const body = JSON.stringify(payload);
      res.set(headers);
      // GraphQL-over-HTTP: a client that takes plain JSON only reads statuses as transport failures.
      const legacy = media === LEGACY_JSON && status < 500 && status !== 405 && status !== 406 && status !== 413 && status !== 415;
      if (status === 401 && !res.getHeader('www-authenticate')) res.setHeader('www-authenticate', 'Bearer');
      res
        .status(legacy ? 200 : status)
        .type(media ?? GRAPHQL_RESPONSE)
        .send(body);
    };
    const refuse = (refusal: Refusal) => {
      const error: GraphQLError = {
        message: refusal.message,
        extensions: { code: refusal.code, ...(refusal.fields ? { fields: refusal.fields } : {}) },
      };
      send(statusOf(refusal.code), { errors: [error] }, refusal.headers);
    };

    try {
      if (!media) throw new Refusal('NOT_ACCEPTABLE', `answers are ${GRAPHQL_RESPONSE} or ${LEGACY_JSON}`);
      if (!isGet && req.method !== 'POST') throw new Refusal('METHOD_NOT_ALLOWED', 'use GET or POST', { allow: 'GET, POST' });
      if (req.method === 'POST' && !req.is(['application/json', 'application/*+json'])) {
        throw new Refusal('UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json');
      }
      const params = isGet ? (req.query as Record<string, unknown>) : req.body;
      if (typeof params !== 'object' || params === null || Array.isArray(params))
        throw new Refusal('BAD_REQUEST', 'the body must be an object');
      const extensions = objectParameter(params.extensions, 'extensions', isGet);
      const variables = objectParameter(params.variables, 'variables', isGet) ?? {};
      const query = stringParameter(params.query, 'query');
      const operationName = stringParameter(params.operationName, 'operationName');
      const persisted = extensions?.persistedQuery as { version?: unknown; sha256Hash?: unknown } | undefined;

      if (persisted === undefined || persisted === null) {
        throw new Refusal(
          'OPERATION_NOT_PERSISTED',
          'only persisted operations run here: send extensions.persistedQuery.sha256Hash of an operation of the app manifest',
        );
      }
      if (typeof persisted !== 'object' || persisted.version !== 1 || typeof persisted.sha256Hash !== 'string') {
        throw new Refusal('BAD_REQUEST', 'extensions.persistedQuery must be { version: 1, sha256Hash }');
      }
      const operation = operations.get(persisted.sha256Hash);
      // Apollo's message, which its clients match as well as the code.
      if (!operation) throw new Refusal('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', { 'cache-control': 'no-store' });
      if (query !== undefined && query !== operation.body) {
        throw new Refusal('OPERATION_NOT_PERSISTED', 'the query text does not match the persisted operation');
      }
      if (operationName !== undefined && operationName !== operation.name) {
        throw new Refusal('BAD_REQUEST', `the persisted operation is ${operation.name}, not ${operationName}`);
      }
      if (isGet && operation.type !== 'query')
        throw new Refusal('METHOD_NOT_ALLOWED', `${operation.name} changes data: use POST`, { allow: 'POST' });
      const unstorable = textProblems(variables, 'variables');
      if (unstorable.length) throw new Refusal('VALIDATION_FAILED', 'the request is invalid', {}, unstorable);

      const authorization = req.headers.authorization;
      const result = await router.execute({
        operationName: operation.name,
        id: operation.id,
        api: APP_API,
        variables,
        authorization,
        requestId: req.id,
        clientIp: res.locals.clientIp as string | undefined,
      });
      const errors = result.errors?.map((error) => clientError(error, req.log));
      const first = errors?.[0];
      const headers: Record<string, string> = { ...result.headers };
      if (first?.extensions.retryAfter) headers['retry-after'] = String(Math.ceil(first.extensions.retryAfter));
      // GraphQL-over-HTTP: an answer without data is a request error (4xx or 5xx); one with data, even null, is 200.
      const hasData = result.data !== undefined;
      const status = hasData ? 200 : first ? statusOf(first.extensions.code) : 502;
      const payload = { ...(errors ? { errors } : {}), ...(hasData ? { data: result.data } : {}) };

      const policy = policies.get(operation.id);
      if (!isGet || !policy || errors || status !== 200) {
        send(status, payload, headers);
        return;
      }
      const body = JSON.stringify(payload);
      const etag = etagOf(body);
      const control = cacheControl(policy, authorization !== undefined);
      // A shared cache would hand one caller's remaining budget to everyone it serves the answer to.
      if (control.startsWith('public')) for (const name of ['ratelimit', 'ratelimit-policy']) delete headers[name];
      res.set(headers).set({ 'cache-control': control, etag });
      if (matches(req.headers['if-none-match'], etag)) {
        res.status(304).end();
        return;
      }
      res
        .status(200)
        .type(media ?? GRAPHQL_RESPONSE)
        .send(body);
    } catch (error) {
      if (error instanceof Refusal) return refuse(error);
      if (error instanceof ProblemError)
        return refuse(new Refusal(error.code, error.detail ?? 'the service is unavailable', error.headers));
      throw error;
    }
  });

  // A body that is not JSON, too large or wrongly encoded: answered as GraphQL errors too, not as problems.
  endpoint.use((error: Error & { type?: string; status?: number }, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent || typeof error.status !== 'number' || error.status >= 500) return next(error);
    const code: ErrorCode =
      error.type === 'entity.too.large' ? 'PAYLOAD_TOO_LARGE' : error.status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST';
    const message = code === 'PAYLOAD_TOO_LARGE' ? 'the body is larger than 64kb' : 'the body is not valid JSON';
    req.log.debug({ err: error }, 'unreadable GraphQL request');
    res
      .status(statusOf(code))
      .type(GRAPHQL_RESPONSE)
      .send(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
  });
  return endpoint;
}
