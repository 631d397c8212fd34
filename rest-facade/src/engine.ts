import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ParsedUrlQuery, parse as parseQuery } from 'node:querystring';
import type { ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import OpenAPIBackend, { type Document, type Operation, type Request as ApiRequest } from 'openapi-backend';
import type { FieldProblem } from '../../kernel/errors';
import { type Exchange, sendText } from '../../kernel/http';
import type { PersistedOperation } from '../../kernel/persisted';
import { textProblems } from '../../kernel/text';
import { readBody } from './body';
import { ProblemError, problemFromGraphQL } from './problem';
import type { RouterClient } from './router-client';
import { compileRoutes, pickResult, toPage, type Route } from './routes';

/** One REST API version: its OpenAPI document and the persisted operations its routes run. */
export interface ApiDocument {
  /** e.g. `private.v1`, the name of both the document and the manifest. */
  name: string;
  openapi: Document;
  operations: PersistedOperation[];
}

export interface Engine {
  /** Where the API is served: the document's first server URL. */
  mountPath: string;
  /**
   * Whether the API takes bodies as raw bytes (`x-raw-body: true` at the document's root): a webhook's signature is
   * over the exact bytes sent, which parsing and re-serialising would change. Its routes pass the body on untouched.
   */
  rawBody: boolean;
  /** Answers a request under the mount path; what it throws is answered as a problem (`answerProblem`). */
  handle(exchange: Exchange, clientIp: string | undefined): Promise<void>;
}

const BEARER = /^Bearer +\S+$/i;

const LOCATION: Record<string, string> = { requestBody: 'body' };

/** An Ajv error as the field a client can find in its own request: `body.login`, `query.first`, `path.channelId`. */
function fieldProblem(error: ErrorObject): FieldProblem {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'required') {
    segments.push(String(error.params.missingProperty));
    message = 'is required';
  } else if (error.keyword === 'additionalProperties') {
    segments.push(String(error.params.additionalProperty));
    message = 'is not allowed';
  }
  const [location, ...rest] = segments;
  return { field: [LOCATION[location] ?? location, ...rest].join('.'), message };
}

const escapeRegExp = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The methods the document declares for a path, for the Allow header of a 405. */
function allowedMethods(operations: Operation[]): (path: string) => string {
  const routes = operations.map((op) => ({
    method: op.method.toUpperCase(),
    pattern: new RegExp(
      `^${op.path
        .split(/\{[^}]+\}/)
        .map(escapeRegExp)
        .join('[^/]+')}$`,
    ),
  }));
  return (path) => {
    const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path;
    return routes
      .filter((r) => r.pattern.test(normalized))
      .map((r) => r.method)
      .join(', ');
  };
}

/**
 * openapi-backend checks a document against the OpenAPI 3.0 meta-schema only, which rejects the JSON Schema of 3.1
 * (`type: ['string', 'null']`, `const`). What a 3.1 document must get right is still checked at start: Ajv
 * compiles every schema in it, and compileRoutes checks it against the persisted operations.
 */
export class OpenAPI31Backend extends OpenAPIBackend {
  override validateDefinition() {
    return this.document;
  }
}

const hasBody = (req: IncomingMessage) => req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';

/**
 * Serves one OpenAPI document: routing, security and request validation come from the document, and one generic
 * handler runs every operation as its persisted GraphQL operation. openapi-backend dereferences the document and
 * compiles its validators once; the route table is compiled here once too, where openapi-backend's handleRequest
 * rebuilt its operation list twice and parsed the request three times more per request.
 */
export async function createEngine(doc: ApiDocument, router: RouterClient): Promise<Engine> {
  const mountPath = doc.openapi.servers?.[0]?.url;
  if (!mountPath?.startsWith('/'))
    throw new Error(`the ${doc.name} OpenAPI document needs a servers[0].url path such as /${doc.name.replace('.', '/')}`);

  const rawBody = (doc.openapi as { 'x-raw-body'?: unknown })['x-raw-body'] === true;
  const api = new OpenAPI31Backend({
    // openapi-backend dereferences the document it is given in place.
    definition: structuredClone(doc.openapi),
    strict: true,
    // Query and path values arrive as strings; the body is JSON and is validated as sent.
    coerceTypes: true,
    ajvOpts: { allErrors: true },
    customizeAjv: (ajv) => addFormats(ajv),
  });
  await api.init();
  const operations = api.getOperations();
  const routes = compileRoutes(doc.name, operations, doc.operations);
  const allow = allowedMethods(operations);

  // Only the token's presence is checked here: the router verifies it, so one verification serves REST and GraphQL.
  // An OAuth 2.0 scheme's scopes are checked by the subgraphs, which name the missing one.
  const bearerSchemes = new Set(
    Object.entries(api.definition.components?.securitySchemes ?? {}).flatMap(([name, scheme]) =>
      'type' in scheme && (scheme.type === 'oauth2' || (scheme.type === 'http' && scheme.scheme.toLowerCase() === 'bearer')) ? [name] : [],
    ),
  );
  const table = compileTable(operations, routes, bearerSchemes);

  const execute = async (entry: TableEntry, request: ApiRequest, body: unknown, exchange: Exchange, clientIp: string | undefined) => {
    const validation = api.validator.validateRequest(request, entry.operation);
    if (validation.errors) {
      throw new ProblemError('VALIDATION_FAILED', 'the request is invalid', { errors: validation.errors.map(fieldProblem) });
    }
    const { route } = entry;
    const { req, res } = exchange;
    exchange.name(route.operationName);
    const coerced = validation.coerced as { params: Record<string, unknown>; query: Record<string, unknown> };
    // Path parameters last: the resource named by the URL is the one acted on, whatever the body says.
    const variables = { ...coerced.query, ...route.bodyVariables(body), ...route.headerVariables(req.headers), ...coerced.params };
    const result = await router.execute({
      operationName: route.operationName,
      id: route.id,
      api: doc.name,
      variables,
      authorization: route.authorizationIsVariable ? undefined : req.headers.authorization,
      requestId: exchange.id,
      clientIp,
    });
    if (result.headers) for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
    if (result.errors?.length) throw problemFromGraphQL(result.errors[0]);
    const value = pickResult(result.data, route.resultPath);
    if (value === null && route.whenNull) throw new ProblemError(route.whenNull);
    sendResult(req, res, route.status, route.page ? toPage(value) : value);
  };

  /** Before the schema: a string no field could store is refused whatever its route, named where the client put it. */
  const refuseUnstorable = (params: Record<string, unknown>, query: ParsedUrlQuery, body: unknown) => {
    if (rawBody) return;
    const unstorable = [...textProblems(params, 'path'), ...textProblems(query, 'query'), ...textProblems(body, 'body')];
    if (unstorable.length) throw new ProblemError('VALIDATION_FAILED', 'the request is invalid', { errors: unstorable });
  };

  // The order of express's body parser then openapi-backend's handleRequest, with the route table compiled once and
  // the request parsed once (by the validator): the body, routing, then the body's type and unstorable text, then the
  // token's presence, then the schema.
  const handle: Engine['handle'] = async (exchange, clientIp) => {
    const { req, res } = exchange;
    const { path: relative, query } = target(req.url ?? '/', mountPath);
    const body = await readBody(req, res, rawBody);
    const path = normalizePath(relative);
    const method = req.method ?? '';
    const matched = matchRoute(table, path, method.toLowerCase());
    if (!matched.entry) {
      refuseUnstorable({}, query, body);
      if (matched.pathMatched) {
        throw new ProblemError('METHOD_NOT_ALLOWED', `${method} is not allowed here`, { headers: { allow: allow(relative) } });
      }
      throw new ProblemError('NOT_FOUND', 'no such route');
    }
    const { entry } = matched;
    const params = entry.params(path);
    // The JSON parser leaves a body of any other type unread, which validation would report as missing.
    if (!rawBody && entry.operation.requestBody && body === undefined && hasBody(req)) {
      throw new ProblemError('UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json');
    }
    refuseUnstorable(params, query, body);
    if (!entry.authorized(req.headers.authorization)) throw new ProblemError('UNAUTHENTICATED', 'a bearer token is required');
    await execute(
      entry,
      {
        method,
        path: relative,
        query: query as ApiRequest['query'],
        headers: req.headers as ApiRequest['headers'],
        body: rawBody ? undefined : body,
      },
      body,
      exchange,
      clientIp,
    );
  };
  return { mountPath, rawBody, handle };
}

/** One operation of the document, compiled for dispatch. */
interface TableEntry {
  operation: Operation;
  route: Route;
  method: string;
  path: string;
  pattern: RegExp;
  /** The length of the path's literal parts: the more literal, the more specific. */
  specificity: number;
  /** The path parameters, percent-decoded (a URIError for bad encoding, answered 400 by the problem handler). */
  params: (path: string) => Record<string, string>;
  /** Whether one of the operation's security requirements is met by the Authorization header's presence. */
  authorized: (authorization: string | undefined) => boolean;
}

const PARAMETER = /\{([^}]+)\}/g;

function compileTable(operations: Operation[], routes: Map<string, Route>, bearerSchemes: Set<string>): TableEntry[] {
  const table = operations.map((operation): TableEntry => {
    const literals = operation.path.split(PARAMETER).filter((_, i) => i % 2 === 0);
    const names = [...operation.path.matchAll(PARAMETER)].map((m) => m[1]);
    const pattern = new RegExp(`^${literals.map(escapeRegExp).join('([^/]+)')}$`);
    // openapi-backend folds the document's global requirements into each operation's `security`.
    const requirements = (operation.security ?? []).map((requirement) => Object.keys(requirement));
    const route = routes.get(operation.operationId as string);
    if (!route) throw new Error(`no route compiled for ${operation.operationId}`);
    return {
      operation,
      route,
      method: operation.method.toLowerCase(),
      path: operation.path,
      pattern,
      specificity: literals.join('').length,
      params: (path) => {
        const values = pattern.exec(path) ?? [];
        return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(values[i + 1] ?? '')]));
      },
      authorized: (authorization) => {
        if (requirements.length === 0) return true;
        const bearer = BEARER.test(authorization ?? '');
        return requirements.some((schemes) => schemes.every((scheme) => bearerSchemes.has(scheme) && bearer));
      },
    };
  });
  // Most specific first, as openapi-backend orders template matches (a stable sort keeps the document's order).
  return table.sort((a, b) => b.specificity - a.specificity);
}

/**
 * The path under the mount and the query, as express gave them to a mounted handler: `/` for the mount itself, no
 * fragment in either, the query by node's querystring (express 5's default "simple" parser; arrays for repeated keys,
 * which the validator expects).
 */
function target(url: string, mountPath: string): { path: string; query: ParsedUrlQuery } {
  const fragment = url.indexOf('#');
  const withoutFragment = fragment === -1 ? url : url.slice(0, fragment);
  const search = withoutFragment.indexOf('?');
  const pathname = search === -1 ? withoutFragment : withoutFragment.slice(0, search);
  return { path: pathname.slice(mountPath.length) || '/', query: parseQuery(search === -1 ? '' : withoutFragment.slice(search + 1)) };
}

const NO_CACHE = /(?:^|,)\s*?no-cache\s*?(?:,|$)/;

/**
 * A 2xx answer as express's `res.json()` wrote it, which answered a GET or HEAD with `If-None-Match: *` 304 without
 * a body (RFC 9110 §13.1.2: a current representation exists) unless the request said no-cache.
 */
function sendResult(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  const fresh =
    (req.method === 'GET' || req.method === 'HEAD') &&
    req.headers['if-none-match'] === '*' &&
    !NO_CACHE.test(req.headers['cache-control'] ?? '');
  if (fresh) {
    res.statusCode = 304;
    res.end();
    return;
  }
  sendText(res, status, 'application/json', JSON.stringify(value));
}

/** The path as routed: trailing slashes do not count. */
function normalizePath(raw: string): string {
  let path = raw.trim().split('?')[0];
  if (!path.startsWith('/')) path = `/${path}`;
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

/** An exact path before a template; among templates the most specific; a path with no such method is a 405. */
function matchRoute(table: TableEntry[], path: string, method: string): { entry?: TableEntry; pathMatched: boolean } {
  const exact = table.find((entry) => entry.path === path && entry.method === method);
  if (exact) return { entry: exact, pathMatched: true };
  let pathMatched = false;
  for (const entry of table) {
    if (!entry.pattern.test(path)) continue;
    if (entry.method === method) return { entry, pathMatched: true };
    pathMatched = true;
  }
  return { pathMatched };
}
