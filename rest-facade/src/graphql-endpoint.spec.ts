import type express from 'express';
import pino from 'pino';
import { createHttpApp, listen, type Listening } from '../../kernel/http';
import { readManifest } from '../../kernel/persisted';
import { loadCacheHints } from './cache-policy';
import { APP_API, createGraphQLEndpoint, GRAPHQL_PATH } from './graphql-endpoint';
import { ProblemError } from './problem';
import type { GraphQLCall, GraphQLResult, RouterClient } from './router-client';

const operations = readManifest(APP_API).operations;
const page = operations.find((op) => op.name === 'ChannelPage')!;

/** The router as the facade sees it, in-process (edge-gtw) or over HTTP: records calls, answers what a test says. */
const calls: GraphQLCall[] = [];
let answer: () => Promise<GraphQLResult> = async () => ({ data: { channel: null } });
const router: RouterClient = {
  execute: (call) => {
    calls.push(call);
    return answer();
  },
  healthy: async () => true,
  close() {},
};

let server: Listening;

beforeAll(async () => {
  const app = createHttpApp(pino({ level: 'silent' }), {});
  app.use(GRAPHQL_PATH, createGraphQLEndpoint({ router, operations, hints: loadCacheHints() }));
  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).end();
  });
  server = await listen(app, 0);
});

afterAll(() => server.close());

beforeEach(() => {
  calls.length = 0;
});

const post = async (body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${server.url}${GRAPHQL_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
};
const request = { variables: { channelId: 'c1' }, extensions: { persistedQuery: { version: 1, sha256Hash: page.id } } };

describe('/private/graphql before the router', () => {
  it('hands the router the manifest operation by id as the app.v1 API, with the caller’s token', async () => {
    const res = await post(request, { authorization: 'Bearer abc', 'x-request-id': 'req-1' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { channel: null } });
    expect(calls).toEqual([
      {
        operationName: 'ChannelPage',
        id: page.id,
        api: 'app.v1',
        variables: { channelId: 'c1' },
        authorization: 'Bearer abc',
        requestId: 'req-1',
        clientIp: undefined,
      },
    ]);
  });

  it('keeps codes to the closed set, and server-side messages to itself', async () => {
    answer = async () => ({
      data: null,
      errors: [{ message: 'resolver blew up at db.ts:12', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
    });
    expect((await post(request)).body.errors).toEqual([
      { message: 'the request could not be completed', extensions: { code: 'BAD_GATEWAY' } },
    ]);

    answer = async () => ({ data: null, errors: [{ message: 'pool exhausted', extensions: { code: 'UNAVAILABLE', retryAfter: 2 } }] });
    const unavailable = await post(request);
    expect(unavailable.status).toBe(200);
    expect(unavailable.headers.get('retry-after')).toBe('2');
    expect(unavailable.body.errors[0]).toEqual({
      message: 'the service could not complete the request, retry later',
      extensions: { code: 'UNAVAILABLE', retryAfter: 2 },
    });
  });

  it('answers an unreachable router as GraphQL errors with its status', async () => {
    answer = async () => {
      throw new ProblemError('GATEWAY_TIMEOUT', 'the request took too long, retry later');
    };
    const res = await post(request);
    expect(res.status).toBe(504);
    expect(res.body).toEqual({ errors: [{ message: 'the request took too long, retry later', extensions: { code: 'GATEWAY_TIMEOUT' } }] });
  });

  it('refuses without calling the router', async () => {
    expect((await post({ ...request, extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } })).status).toBe(404);
    expect((await post({ ...request, query: `${page.body} ` })).status).toBe(400);
    expect((await post({ query: page.body, variables: request.variables })).status).toBe(400);
    expect(calls).toEqual([]);
  });
});
