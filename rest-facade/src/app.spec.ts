import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import pino from 'pino';
import { listen, type Listening } from '../../kernel/http';
import { readManifest } from '../../kernel/persisted';
import { eventually } from '../../test/support/eventually';
import { createRestFacade, loadApiDocuments, type RestFacade } from './app';
import { OpenAPI31Backend } from './engine';

interface Received {
  headers: IncomingHttpHeaders;
  body: {
    operationName: string;
    variables: Record<string, unknown>;
    extensions: { persistedQuery: { version: number; sha256Hash: string } };
  };
}

interface Answer {
  status?: number;
  body: unknown;
}

/** Plays the router: records each GraphQL request and answers what the test scripted. */
class FakeRouter {
  received: Received[] = [];
  answer: (operationName: string) => Answer = () => ({ body: { data: null } });
  private server: Server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'];
      this.received.push({ headers: req.headers, body });
      const { status = 200, body: reply } = this.answer(body.operationName);
      res
        .writeHead(status, { 'content-type': typeof reply === 'string' ? 'text/html' : 'application/json' })
        .end(typeof reply === 'string' ? reply : JSON.stringify(reply));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }

  replyData(data: Record<string, unknown>) {
    this.answer = () => ({ body: { data } });
  }

  replyError(code: string, message = 'failed', extra: Record<string, unknown> = {}) {
    this.answer = () => ({ body: { data: null, errors: [{ message, extensions: { code, ...extra } }] } });
  }

  last(): Received {
    expect(this.received).toHaveLength(1);
    return this.received[0];
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const USER_ID = '6f1c2a4e-8a41-4d6c-9a51-0b5b1f1d2c3a';
const CHANNEL_ID = '0d5f7f0e-3b1a-4d2e-8f9a-1c2b3d4e5f60';
const TOKEN = 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig';
const manifest = new Map(readManifest('private.v1').operations.map((op) => [op.name, op.id]));
const documents = loadApiDocuments();
const privateV1 = documents.find((d) => d.name === 'private.v1')!;
const silent = pino({ level: 'silent' });

const router = new FakeRouter();
let facade: RestFacade;
let server: Listening;
let contract: OpenAPI31Backend;
let isProblem: ReturnType<Ajv['compile']>;

let routerUrl: string;

beforeAll(async () => {
  routerUrl = await router.start();
  facade = await createRestFacade({ router: { url: routerUrl }, documents, logger: silent });
  server = await listen(facade.app, 0);
  contract = new OpenAPI31Backend({ definition: structuredClone(privateV1.openapi), customizeAjv: (ajv) => addFormats(ajv) });
  await contract.init();
  const { Problem } = (contract.definition.components?.schemas ?? {}) as Record<string, object>;
  isProblem = addFormats(new Ajv({ strict: false })).compile(Problem);
});

afterAll(async () => {
  await server.close();
  facade.close();
  await router.stop();
});

beforeEach(() => {
  router.received = [];
  router.answer = () => ({ body: { data: null } });
});

interface Sent {
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

async function call(method: string, path: string, { body, raw, headers = {} }: Sent = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

/** The 2xx body the document promises for the operation. */
function expectContract(operationId: string, status: number, body: unknown) {
  expect(contract.validateResponse(body, operationId, status).errors).toBeNull();
}

function expectProblem(res: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json).toMatchObject({ status, code, requestId: res.headers.get('x-request-id') });
  expect(res.json.type).toBe(`https://errors.streaming.example/${code.toLowerCase().replace(/_/g, '-')}`);
  expect(isProblem(res.json)).toBe(true);
}

const channel = {
  id: CHANNEL_ID,
  title: 'speedrun any%',
  category: 'Celeste',
  language: 'en',
  tags: ['speedrun'],
  mature: false,
  followerCount: 3,
  updatedAt: '2026-01-02T03:04:05.000Z',
  owner: { id: USER_ID, login: 'streamer' },
};

describe('parameters become the variables of the persisted operation', () => {
  it('POST /users sends the body as `input` and answers 201 with the account', async () => {
    const account = { id: USER_ID, login: 'new_user', displayName: 'New', email: 'new@example.com', createdAt: '2026-01-01T00:00:00.000Z' };
    router.replyData({ signUp: account });
    const input = { login: 'new_user', email: 'new@example.com', password: 'correct horse', displayName: 'New' };

    const res = await call('POST', '/private/v1/users', { body: input });

    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json).toEqual(account);
    expectContract('SignUp', 201, res.json);
    expect(router.last().body).toEqual({
      operationName: 'SignUp',
      variables: { input },
      extensions: { persistedQuery: { version: 1, sha256Hash: manifest.get('SignUp') }, api: 'private.v1' },
    });
  });

  it('POST /sessions spreads the body into `login` and `password`', async () => {
    const session = { accessToken: 'a', refreshToken: 'r', tokenType: 'bearer', expiresIn: 900, user: { id: USER_ID, login: 'streamer' } };
    router.replyData({ logIn: session });

    const res = await call('POST', '/private/v1/sessions', { body: { login: 'streamer', password: 'pw' } });

    expect(res.status).toBe(201);
    expect(res.json).toEqual(session);
    expectContract('LogIn', 201, res.json);
    expect(router.last().body.variables).toEqual({ login: 'streamer', password: 'pw' });
  });

  it('GET /me forwards the bearer token and sends no variables', async () => {
    const me = {
      id: USER_ID,
      login: 'streamer',
      displayName: 'Streamer',
      email: 's@example.com',
      createdAt: '2026-01-01T00:00:00.000Z',
      channel: null,
    };
    router.replyData({ me });

    const res = await call('GET', '/private/v1/me', { headers: { authorization: TOKEN } });

    expect(res.status).toBe(200);
    expect(res.json).toEqual(me);
    expectContract('GetMe', 200, res.json);
    expect(router.last().headers.authorization).toBe(TOKEN);
    expect(router.last().body.variables).toEqual({});
  });

  it('GET /users/{login} sends the path parameter, with the token when there is one', async () => {
    const user = {
      id: USER_ID,
      login: 'streamer',
      displayName: 'Streamer',
      createdAt: '2026-01-01T00:00:00.000Z',
      channel: { id: CHANNEL_ID, title: 't', category: 'c', language: 'en', tags: [], followerCount: 0, followedByViewer: true },
    };
    router.replyData({ user });

    const res = await call('GET', '/private/v1/users/streamer', { headers: { authorization: TOKEN } });

    expect(res.status).toBe(200);
    expectContract('GetUserByLogin', 200, res.json);
    expect(router.last().body.variables).toEqual({ login: 'streamer' });
    expect(router.last().headers.authorization).toBe(TOKEN);
  });

  it('GET /users/{login} is open to anonymous callers', async () => {
    router.replyData({ user: null });

    const res = await call('GET', '/private/v1/users/streamer');

    expectProblem(res, 404, 'USER_NOT_FOUND');
    expect(router.last().headers.authorization).toBeUndefined();
  });

  it('PATCH /channels/{channelId} sends the path parameter and the body as `input`', async () => {
    router.replyData({ updateChannel: channel });
    const input = { title: 'speedrun any%', tags: ['speedrun'], mature: false };

    const res = await call('PATCH', `/private/v1/channels/${CHANNEL_ID}`, { body: input, headers: { authorization: TOKEN } });

    expect(res.status).toBe(200);
    expect(res.json).toEqual(channel);
    expectContract('UpdateChannel', 200, res.json);
    expect(router.last().body.variables).toEqual({ channelId: CHANNEL_ID, input });
  });

  it.each([
    ['PUT', 'FollowChannel', 'followChannel', true],
    ['DELETE', 'UnfollowChannel', 'unfollowChannel', false],
  ])('%s /channels/{channelId}/follow runs %s', async (method, operationName, field, followed) => {
    const state = { id: CHANNEL_ID, followerCount: 4, followedByViewer: followed };
    router.replyData({ [field]: state });

    const res = await call(method, `/private/v1/channels/${CHANNEL_ID}/follow`, { headers: { authorization: TOKEN } });

    expect(res.status).toBe(200);
    expect(res.json).toEqual(state);
    expectContract(operationName, 200, res.json);
    expect(router.last().body).toMatchObject({ operationName, variables: { channelId: CHANNEL_ID } });
    expect(router.last().body.extensions.persistedQuery.sha256Hash).toBe(manifest.get(operationName));
  });

  it('a body sent to a route that takes none is not turned into variables', async () => {
    router.replyData({ followChannel: { id: CHANNEL_ID, followerCount: 1, followedByViewer: true } });

    await call('PUT', `/private/v1/channels/${CHANNEL_ID}/follow`, { body: { channelId: 'other' }, headers: { authorization: TOKEN } });

    expect(router.last().body.variables).toEqual({ channelId: CHANNEL_ID });
  });
});

describe('GET /channels/{channelId}/followers', () => {
  const follower = (n: number) => ({
    followedAt: `2026-01-0${n}T00:00:00.000Z`,
    user: { id: `${USER_ID.slice(0, -1)}${n}`, login: `viewer_${n}`, displayName: `Viewer ${n}` },
  });
  const followers = (hasNextPage: boolean, endCursor: string | null) => ({
    channel: { followers: { totalCount: 3, nodes: [follower(1), follower(2)], pageInfo: { endCursor, hasNextPage } } },
  });

  it('coerces query parameters and answers a Helix page with the next cursor', async () => {
    router.replyData(followers(true, 'cursor-2'));

    const res = await call('GET', `/private/v1/channels/${CHANNEL_ID}/followers?first=2&after=cursor-0`);

    expect(res.status).toBe(200);
    expect(res.json).toEqual({ data: [follower(1), follower(2)], total: 3, pagination: { cursor: 'cursor-2' } });
    expectContract('GetChannelFollowers', 200, res.json);
    expect(router.last().body.variables).toEqual({ channelId: CHANNEL_ID, first: 2, after: 'cursor-0' });
  });

  it('leaves absent query parameters out, so the operation defaults apply, and omits the cursor on the last page', async () => {
    router.replyData(followers(false, 'cursor-2'));

    const res = await call('GET', `/private/v1/channels/${CHANNEL_ID}/followers`);

    expect(res.json.pagination).toEqual({});
    expectContract('GetChannelFollowers', 200, res.json);
    expect(router.last().body.variables).toEqual({ channelId: CHANNEL_ID });
  });

  it('answers 404 when the channel does not exist', async () => {
    router.replyData({ channel: null });

    expectProblem(await call('GET', `/private/v1/channels/${CHANNEL_ID}/followers`), 404, 'CHNL_NOT_FOUND');
  });
});

describe('GraphQL errors become problems', () => {
  it.each([
    ['POST', '/private/v1/users', { login: 'taken', email: 'a@example.com', password: 'long enough' }, 'USER_LOGIN_TAKEN', 409],
    ['POST', '/private/v1/users', { login: 'fresh', email: 'taken@example.com', password: 'long enough' }, 'USER_EMAIL_TAKEN', 409],
    ['POST', '/private/v1/sessions', { login: 'streamer', password: 'wrong' }, 'USER_INVALID_CREDENTIALS', 401],
    ['PATCH', `/private/v1/channels/${CHANNEL_ID}`, { title: 'mine now' }, 'CHNL_NOT_OWNER', 403],
    ['PATCH', `/private/v1/channels/${CHANNEL_ID}`, { title: 'gone' }, 'CHNL_NOT_FOUND', 404],
    ['PUT', `/private/v1/channels/${CHANNEL_ID}/follow`, undefined, 'CHNL_SELF_FOLLOW', 422],
    ['GET', '/private/v1/me', undefined, 'UNAUTHENTICATED', 401],
  ])('%s %s with %j: %s is %i', async (method, path, body, code, status) => {
    router.replyError(code, `because ${code}`);

    const res = await call(method, path, { body, headers: { authorization: TOKEN } });

    expectProblem(res, status, code);
    expect(res.json.detail).toBe(`because ${code}`);
    expect(res.json.title).toEqual(expect.any(String));
    if (status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('passes the fields of a domain validation error on', async () => {
    router.replyError('VALIDATION_FAILED', 'invalid', { fields: [{ field: 'input.email', message: 'is not deliverable' }] });

    const res = await call('POST', '/private/v1/users', { body: { login: 'fresh', email: 'x@example.com', password: 'long enough' } });

    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.json.errors).toEqual([{ field: 'input.email', message: 'is not deliverable' }]);
  });

  it('answers 502 for a code the API does not define, without leaking what the router said', async () => {
    router.replyError('INTERNAL_SERVER_ERROR', 'connect ECONNREFUSED 10.0.0.7:5432 (postgres password=hunter2)');

    const res = await call('GET', '/private/v1/me', { headers: { authorization: TOKEN } });

    expectProblem(res, 502, 'BAD_GATEWAY');
    expect(JSON.stringify(res.json)).not.toMatch(/ECONNREFUSED|hunter2|INTERNAL_SERVER_ERROR/);
  });

  it('does not pass on the message of a server-side failure with a defined code', async () => {
    router.replyError('INTERNAL', 'TypeError: cannot read properties of undefined at /srv/app.js:12');

    const res = await call('GET', '/private/v1/me', { headers: { authorization: TOKEN } });

    expectProblem(res, 500, 'INTERNAL');
    expect(res.json.detail).toBeUndefined();
  });

  it('answers 401 for GET /me when the token names no account', async () => {
    router.replyData({ me: null });

    const res = await call('GET', '/private/v1/me', { headers: { authorization: TOKEN } });

    expectProblem(res, 401, 'UNAUTHENTICATED');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('answers 502 when the router does not answer GraphQL', async () => {
    router.answer = () => ({ status: 502, body: '<html>bad gateway</html>' });

    expectProblem(await call('GET', '/private/v1/me', { headers: { authorization: TOKEN } }), 502, 'BAD_GATEWAY');
  });

  it('answers 500 without internals when the router breaks the operation contract', async () => {
    router.replyData({ channel: { followers: { totalCount: 1 } } });

    const res = await call('GET', `/private/v1/channels/${CHANNEL_ID}/followers`);

    expectProblem(res, 500, 'INTERNAL');
    expect(JSON.stringify(res.json)).not.toMatch(/TypeError|at .*\.ts/);
  });
});

describe('requests the document rejects never reach the router', () => {
  afterEach(() => expect(router.received).toHaveLength(0));

  const signUp = { login: 'new_user', email: 'new@example.com', password: 'correct horse' };
  const invalid = (res: Awaited<ReturnType<typeof call>>, field: string) => {
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.json.errors).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
  };

  it('malformed JSON', async () => {
    const res = await call('POST', '/private/v1/users', { raw: '{"login": "x",', headers: { 'content-type': 'application/json' } });
    expectProblem(res, 400, 'BAD_REQUEST');
  });

  it('a missing field', async () => {
    const res = await call('POST', '/private/v1/users', { body: { login: 'new_user', email: 'new@example.com' } });
    invalid(res, 'body.password');
    expect(res.json.errors).toEqual([{ field: 'body.password', message: 'is required' }]);
  });

  it('a missing body', async () => {
    const res = await call('POST', '/private/v1/users');
    expect(res.json.errors).toEqual([{ field: 'body', message: 'is required' }]);
    invalid(res, 'body');
  });

  it('an empty JSON body names each required field', async () => {
    const res = await call('POST', '/private/v1/sessions', { headers: { 'content-type': 'application/json' } });
    expect(res.json.errors).toEqual([
      { field: 'body.login', message: 'is required' },
      { field: 'body.password', message: 'is required' },
    ]);
  });

  it('an extra field', async () => {
    const res = await call('POST', '/private/v1/users', { body: { ...signUp, admin: true } });
    expect(res.json.errors).toEqual([{ field: 'body.admin', message: 'is not allowed' }]);
    invalid(res, 'body.admin');
  });

  it('a value of the wrong type, which is not coerced in a body', async () => {
    invalid(
      await call('PATCH', `/private/v1/channels/${CHANNEL_ID}`, { body: { mature: 'true' }, headers: { authorization: TOKEN } }),
      'body.mature',
    );
  });

  it('an over-long string', async () => {
    invalid(
      await call('PATCH', `/private/v1/channels/${CHANNEL_ID}`, { body: { title: 'x'.repeat(141) }, headers: { authorization: TOKEN } }),
      'body.title',
    );
  });

  it('an invalid array item', async () => {
    invalid(
      await call('PATCH', `/private/v1/channels/${CHANNEL_ID}`, { body: { tags: ['ok', ''] }, headers: { authorization: TOKEN } }),
      'body.tags.1',
    );
  });

  it('an empty change', async () => {
    invalid(await call('PATCH', `/private/v1/channels/${CHANNEL_ID}`, { body: {}, headers: { authorization: TOKEN } }), 'body');
  });

  it('every offending field at once', async () => {
    const res = await call('POST', '/private/v1/users', { body: { login: 'No', email: 'not-an-email', password: 'short' } });
    expect(res.json.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['body.login', 'body.email', 'body.password']),
    );
  });

  it('first=101', async () => {
    invalid(await call('GET', `/private/v1/channels/${CHANNEL_ID}/followers?first=101`), 'query.first');
  });

  it('first that is not an integer', async () => {
    invalid(await call('GET', `/private/v1/channels/${CHANNEL_ID}/followers?first=ten`), 'query.first');
  });

  it('an unknown query parameter', async () => {
    invalid(await call('GET', `/private/v1/channels/${CHANNEL_ID}/followers?last=5`), 'query.last');
  });

  it('a channelId that is not a UUID', async () => {
    invalid(await call('GET', '/private/v1/channels/not-a-uuid/followers'), 'path.channelId');
  });

  it('a body that is not JSON: 415', async () => {
    const res = await call('POST', '/private/v1/users', {
      raw: 'login=new_user',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a body over 64kb: 413', async () => {
    const res = await call('POST', '/private/v1/users', { body: { ...signUp, displayName: 'x'.repeat(70_000) } });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a path that is not valid percent-encoding', async () => {
    expectProblem(await call('GET', '/private/v1/users/%E0%A4%A'), 400, 'BAD_REQUEST');
  });

  it('an unknown route: 404', async () => {
    expectProblem(await call('GET', '/private/v1/nowhere'), 404, 'NOT_FOUND');
    expectProblem(await call('GET', '/nowhere'), 404, 'NOT_FOUND');
  });

  it('a method the route does not have: 405 with Allow', async () => {
    const follow = await call('GET', `/private/v1/channels/${CHANNEL_ID}/follow`);
    expectProblem(follow, 405, 'METHOD_NOT_ALLOWED');
    expect(follow.headers.get('allow')).toBe('PUT, DELETE');

    const users = await call('DELETE', '/private/v1/users');
    expectProblem(users, 405, 'METHOD_NOT_ALLOWED');
    expect(users.headers.get('allow')).toBe('POST');
  });

  it.each([
    ['no Authorization header', {}],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['an empty bearer token', { authorization: 'Bearer ' }],
  ])('a protected route with %s: 401 with WWW-Authenticate', async (_case, headers: Record<string, string>) => {
    const res = await call('PATCH', `/private/v1/channels/${CHANNEL_ID}`, { body: { title: 'mine' }, headers });
    expectProblem(res, 401, 'UNAUTHENTICATED');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });
});

describe('request ids', () => {
  it('passes the caller’s request id to the router and echoes it', async () => {
    router.replyData({ user: null });

    const res = await call('GET', '/private/v1/users/streamer', { headers: { 'x-request-id': 'client-req-42' } });

    expect(res.headers.get('x-request-id')).toBe('client-req-42');
    expect(res.json.requestId).toBe('client-req-42');
    expect(router.last().headers['x-request-id']).toBe('client-req-42');
  });

  it('mints one when the caller sends none, and uses the same one everywhere', async () => {
    router.replyData({ user: { id: USER_ID, login: 'streamer', displayName: 'S', createdAt: '2026-01-01T00:00:00.000Z', channel: null } });

    const res = await call('GET', '/private/v1/users/streamer');

    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(router.last().headers['x-request-id']).toBe(id);
  });
});

describe('start', () => {
  it('refuses a document whose operationIds are not persisted operations, naming each', async () => {
    const openapi = structuredClone(privateV1.openapi);
    const paths = openapi.paths as Record<string, Record<string, { operationId: string }>>;
    paths['/me'].get.operationId = 'GetMyself';
    paths['/sessions'].post.operationId = 'Login';

    const start = createRestFacade({
      router: { url: 'http://127.0.0.1:9/graphql' },
      documents: [{ ...privateV1, openapi }],
      logger: silent,
    });

    await expect(start).rejects.toThrow(
      /POST \/sessions: operationId Login is not a persisted operation of private\.v1\n {2}- GET \/me: operationId GetMyself/,
    );
  });
});

describe('health', () => {
  it('is ready when the router answers', async () => {
    // An orchestrator probes again and again, each probe bounded at 1 s: on a loaded machine one may miss.
    const res = await eventually(
      async () => {
        const probe = await call('GET', '/readyz');
        return probe.status === 200 && probe;
      },
      15_000,
      'a ready answer',
    );
    expect(res.json.checks).toEqual({ router: true });
  });

  it('answers 503 and is not ready while the router is down', async () => {
    const down = new FakeRouter();
    const routerUrl = await down.start();
    await down.stop();
    const unreachable = await createRestFacade({ router: { url: routerUrl }, documents, logger: silent });
    const alone = await listen(unreachable.app, 0);
    try {
      const res = await fetch(`${alone.url}/private/v1/me`, { headers: { authorization: TOKEN } });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
      expect((await fetch(`${alone.url}/readyz`)).status).toBe(503);
    } finally {
      await alone.close();
      unreachable.close();
    }
  });

  it('answers 504 when the router stays silent past the timeout', async () => {
    const silentRouter = createServer(() => undefined);
    await new Promise<void>((resolve) => silentRouter.listen(0, '127.0.0.1', resolve));
    const routerUrl = `http://127.0.0.1:${(silentRouter.address() as AddressInfo).port}/graphql`;
    const slow = await createRestFacade({ router: { url: routerUrl, timeoutMs: 100 }, documents, logger: silent });
    const alone = await listen(slow.app, 0);
    try {
      const res = await fetch(`${alone.url}/private/v1/users/streamer`);
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ code: 'GATEWAY_TIMEOUT', status: 504 });
    } finally {
      await alone.close();
      slow.close();
      silentRouter.closeAllConnections();
      silentRouter.close();
    }
  });
});

describe('webhooks.v1: raw bodies', () => {
  const webhookId = readManifest('webhooks.v1').operations.find((op) => op.name === 'ReceiveLiveWebhook')!.id;

  it('passes the exact bytes received, base64, and the signature header, without a token', async () => {
    router.replyData({ receiveLiveWebhook: { id: CHANNEL_ID, duplicate: false } });
    // Spacing and key order a parse and re-serialisation would change, and a byte that is not valid UTF-8.
    const raw = Buffer.concat([Buffer.from('{ "type":"video.live_stream.active" ,"id":"1"}'), Buffer.from([0xff])]);
    const res = await fetch(`${server.url}/webhooks/v1/live/mux`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'mux-signature': 't=1,v1=ab' },
      body: raw,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: CHANNEL_ID, duplicate: false });
    const sent = router.last();
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body.extensions.persistedQuery.sha256Hash).toBe(webhookId);
    expect(sent.body.variables).toEqual({ provider: 'mux', payload: raw.toString('base64'), signature: 't=1,v1=ab' });
  });

  it("hands a store's bearer token to the domain as a variable, never to the router as the caller's", async () => {
    router.replyData({ receivePaymentWebhook: { id: CHANNEL_ID, duplicate: false } });
    const raw = '{"message":{"data":"e30=","messageId":"1"}}';
    const res = await fetch(`${server.url}/webhooks/v1/payments/google`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer a.google.token' },
      body: raw,
    });
    expect(res.status).toBe(200);
    const sent = router.last();
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body.variables).toEqual({
      store: 'google',
      payload: Buffer.from(raw).toString('base64'),
      authorization: 'Bearer a.google.token',
    });
    // A route that takes no such variable leaves a caller's token to the router, whichever API it is.
    router.received = [];
    await fetch(`${server.url}/webhooks/v1/live/mux`, { method: 'POST', headers: { authorization: 'Bearer a.token' }, body: '{}' });
    expect(router.last().headers.authorization).toBe('Bearer a.token');
  });

  it('passes a body of any type, and an empty one as an empty payload', async () => {
    router.replyError('LIVE_WEBHOOK_MALFORMED', 'the body is not JSON');
    const res = await fetch(`${server.url}/webhooks/v1/live/mux`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'LIVE_WEBHOOK_MALFORMED' });
    expect(router.last().body.variables).toEqual({ provider: 'mux', payload: Buffer.from('hello').toString('base64') });

    router.received = [];
    await fetch(`${server.url}/webhooks/v1/live/mux`, { method: 'POST' });
    expect(router.last().body.variables).toEqual({ provider: 'mux', payload: '' });
  });
});

describe('the client behind proxies', () => {
  it('should send the router the rightmost X-Forwarded-For hop its trusted proxies did not write, and the peer otherwise', async () => {
    const behindLb = await createRestFacade({ router: { url: routerUrl }, documents, logger: silent, trustedProxies: ['127.0.0.1'] });
    const lbServer = await listen(behindLb.app, 0);
    try {
      router.replyData({ user: null });
      await fetch(`${lbServer.url}/private/v1/users/streamer`, { headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' } });
      expect(router.last().headers['x-forwarded-for']).toBe('203.0.113.9');
      router.received.length = 0;
      await fetch(`${server.url}/private/v1/users/streamer`, { headers: { 'x-forwarded-for': '6.6.6.6' } });
      expect(router.last().headers['x-forwarded-for']).toBe('127.0.0.1');
    } finally {
      await lbServer.close();
      behindLb.close();
    }
  });
});
