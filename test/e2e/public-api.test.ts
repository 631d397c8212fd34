import { readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { createMemoryBus } from '../../kernel/bus/memory';
import { createLogger } from '../../kernel/log';
import { startRestFacade, type RunningRestFacade } from '../../rest-facade/src';
import { restFacadeConfigSchema } from '../../rest-facade/src/config';
import { PROCESSES } from '../../bin/processes';
import { fromRoot } from '../../kernel/paths';
import type { RunningRouter } from '../../router/src/app';
import { eventually } from '../support/eventually';
import { call, signUpAndLogIn } from '../support/platform';
import { RawGraphQLWsClient } from '../support/graphql-ws';
import { Pool } from 'pg';
import { signMuxWebhook } from '../../subgraphs/live/src/providers/mux';
import { registerApp, startOAuthPlatform, tokenRequest, userTokens, type OAuthPlatform, type RegisteredApp } from '../support/oauth';

type Account = Awaited<ReturnType<typeof signUpAndLogIn>>;

const MUX_SECRET = 'public-api-mux-webhook-secret-0123';

/** The Public API through the REST facade, with tokens the authorization server issued. */
describe('Public API v1', () => {
  let platform: OAuthPlatform;
  let app: RegisteredApp;
  let broadcaster: Account;
  let other: Account;
  let channelId: string;
  let otherChannelId: string;
  const tokens: Record<string, string> = {};

  const channelOf = (login: string) =>
    eventually(async () => (await call(`${platform.api}/users/${login}`)).body.channel?.id as string | undefined);
  const get = (path: string, token?: string) => call(`${platform.publicApi}${path}`, { token });

  beforeAll(async () => {
    platform = await startOAuthPlatform(createMemoryBus(), { LIVE_MUX_WEBHOOK_SECRET: MUX_SECRET });
    broadcaster = await signUpAndLogIn(platform.api, 'pub_caster');
    other = await signUpAndLogIn(platform.api, 'pub_other');
    app = await registerApp(platform.api, broadcaster.token);
    const issue = async (scope: string) => (await userTokens(platform.issuer, app, broadcaster.token, scope)).access_token;
    tokens.all = await issue('user:read:email channel:manage:broadcast channel:read:followers');
    tokens.emailOnly = await issue('user:read:email');
    tokens.chatOnly = await issue('chat:read');
    tokens.chatEdit = await issue('chat:edit');
    tokens.clipsEdit = await issue('clips:edit');
    tokens.otherAll = (
      await userTokens(platform.issuer, app, other.token, 'user:read:email channel:manage:broadcast channel:read:followers')
    ).access_token;
    channelId = await channelOf(broadcaster.login);
    otherChannelId = await channelOf(other.login);
    await call(`${platform.api}/channels/${channelId}/follow`, { method: 'PUT', token: other.token });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('answers 401 with WWW-Authenticate without a token, on every route', async () => {
    for (const [method, path] of [
      ['GET', `/users?login=${broadcaster.login}`],
      ['GET', `/channels/${channelId}`],
      ['PATCH', `/channels/${channelId}`],
      ['GET', `/channels/${channelId}/followers`],
      ['POST', '/chat/messages'],
      ['GET', `/search/channels?query=${broadcaster.login}`],
      ['GET', '/search/categories?query=chatting'],
    ]) {
      const body = method === 'PATCH' ? { title: 'x' } : method === 'POST' ? { channelId, text: 'hi' } : undefined;
      const res = await call(`${platform.publicApi}${path}`, { method, body });
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 401, 'UNAUTHENTICATED']);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it("lists the streams on air and a channel's videos for any token, and refuses a call without one", async () => {
    const appToken = (await tokenRequest(platform.issuer, '/oauth/token', app, { grant_type: 'client_credentials' })).body.access_token;
    expect((await get('/streams')).status).toBe(401);
    const streams = await get(`/streams?channelId=${channelId}`, appToken);
    expect({ status: streams.status, body: streams.body }).toEqual({ status: 200, body: { data: [], total: 0, pagination: {} } });
    const videos = await get(`/videos?channelId=${channelId}&first=5`, tokens.chatOnly);
    expect({ status: videos.status, body: videos.body }).toEqual({ status: 200, body: { data: [], total: 0, pagination: {} } });
    expect((await get('/videos', appToken)).status).toBe(400);
  });

  it('takes only OAuth tokens, also on routes whose operation text the Private API persists too', async () => {
    // GetChannelFollowers and SendChatMessage are the same text in private.v1 and public.v1: one id, two APIs.
    for (const [method, path, body] of [
      ['GET', `/channels/${channelId}/followers`, undefined],
      ['POST', '/chat/messages', { channelId, text: 'a session token in the Public API' }],
      ['GET', `/channels/${channelId}`, undefined],
    ] as const) {
      const res = await call(`${platform.publicApi}${path}`, { method, token: broadcaster.token, body });
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 401, 'UNAUTHENTICATED']);
    }
    expect((await call(`${platform.api}/channels/${channelId}/followers`, { token: broadcaster.token })).status).toBe(200);
  });

  it('makes a direct caller name the API of an operation persisted in several', async () => {
    const manifest = JSON.parse(readFileSync(fromRoot('contracts', 'operations', 'public.v1.manifest.json'), 'utf8'));
    const followers = manifest.operations.find((op: { name: string }) => op.name === 'GetChannelFollowers');
    const ask = (extensions: Record<string, unknown>) =>
      call(`${platform.router.url}/graphql`, {
        method: 'POST',
        token: broadcaster.token,
        body: {
          operationName: 'GetChannelFollowers',
          variables: { channelId },
          extensions: { persistedQuery: { version: 1, sha256Hash: followers.id }, ...extensions },
        },
      });
    const unnamed = await ask({});
    expect([unnamed.status, unnamed.body.errors[0].extensions.code]).toEqual([400, 'BAD_REQUEST']);
    expect((await ask({ api: 'public.v1' })).status).toBe(401);
    expect((await ask({ api: 'admin.v1' })).body.errors[0].extensions.code).toBe('OPERATION_NOT_PERSISTED');
    expect((await ask({ api: 'private.v1' })).status).toBe(200);
  });

  it('answers 401 invalid_token for a token the authorization server does not know', async () => {
    const res = await get(`/channels/${channelId}`, randomBytes(32).toString('base64url'));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  it('shows the email only to the token of that user with user:read:email', async () => {
    expect((await get(`/users?login=${broadcaster.login}`, tokens.emailOnly)).body).toMatchObject({
      id: broadcaster.id,
      email: `${broadcaster.login}@example.test`,
    });
    expect((await get(`/users?login=${broadcaster.login}`, tokens.chatOnly)).body.email).toBeNull();
    const someoneElse = await get(`/users?login=${other.login}`, tokens.emailOnly);
    expect(someoneElse.status).toBe(200);
    expect(someoneElse.body).toMatchObject({ id: other.id, email: null });
    expect((await get('/users?login=nobody_here_at_all', tokens.emailOnly)).body.code).toBe('USER_NOT_FOUND');
  });

  it('reads any channel, and answers 404 for a missing one', async () => {
    const res = await get(`/channels/${otherChannelId}`, tokens.chatOnly);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: otherChannelId, owner: { id: other.id, login: other.login } });
    expect((await get(`/channels/${randomUUID()}`, tokens.chatOnly)).status).toBe(404);
  });

  it('changes the broadcaster’s channel with channel:manage:broadcast', async () => {
    const res = await call(`${platform.publicApi}/channels/${channelId}`, {
      method: 'PATCH',
      token: tokens.all,
      body: { title: 'Live from the API' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: channelId, title: 'Live from the API' });
  });

  it('refuses a token missing the scope: 403 insufficient_scope naming it', async () => {
    const patch = await call(`${platform.publicApi}/channels/${channelId}`, {
      method: 'PATCH',
      token: tokens.emailOnly,
      body: { title: 'nope' },
    });
    expect(patch.status).toBe(403);
    expect(patch.body.code).toBe('INSUFFICIENT_SCOPE');
    expect(patch.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="channel:manage:broadcast"');

    const followers = await get(`/channels/${channelId}/followers`, tokens.emailOnly);
    expect(followers.status).toBe(403);
    expect(followers.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="channel:read:followers"');
    expect((await get(`/channels/${channelId}`, tokens.all)).body.title).toBe('Live from the API');
  });

  it('lets only the broadcaster’s token change the channel or read its followers', async () => {
    const patch = await call(`${platform.publicApi}/channels/${channelId}`, {
      method: 'PATCH',
      token: tokens.otherAll,
      body: { title: 'hijacked' },
    });
    expect(patch.status).toBe(403);
    expect(patch.body.code).toBe('CHNL_NOT_OWNER');
    expect((await get(`/channels/${channelId}/followers`, tokens.otherAll)).status).toBe(403);

    const mine = await get(`/channels/${channelId}/followers`, tokens.all);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ total: 1, data: [{ user: { id: other.id, login: other.login } }] });
  });

  it('refuses a chat message from an app acting for a user who has not verified their email, as it does in our apps', async () => {
    const unverified = await signUpAndLogIn(platform.api, 'pub_unverif', { verified: false });
    const token = (await userTokens(platform.issuer, app, unverified.token, 'chat:edit')).access_token;
    const introspected = await tokenRequest(platform.issuer, '/oauth/introspect', app, { token });
    expect(introspected.body).toMatchObject({ active: true, sub: unverified.id, email_verified: false });
    const refused = await call(`${platform.publicApi}/chat/messages`, {
      method: 'POST',
      token,
      body: { channelId: otherChannelId, text: 'spam from a throwaway account' },
    });
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 403, code: 'USER_EMAIL_NOT_VERIFIED' });
  });

  it('sends a chat message as the token’s user with chat:edit, and refuses a token without it', async () => {
    const send = (token: string) =>
      call(`${platform.publicApi}/chat/messages`, {
        method: 'POST',
        token,
        body: { channelId: otherChannelId, text: 'hello from an app' },
      });
    const refused = await send(tokens.chatOnly);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="chat:edit"');
    // The room is made from the channel's event; the app's first message may come before it.
    const sent = await eventually(async () => {
      const res = await send(tokens.chatEdit);
      return res.status === 201 ? res : undefined;
    });
    expect(sent.body).toMatchObject({ text: 'hello from an app', sender: { id: broadcaster.id, login: broadcaster.login } });
    const history = await call(`${platform.api}/channels/${otherChannelId}/chat/messages`);
    expect(history.body.data.map((m: { text: string }) => m.text)).toEqual(['hello from an app']);
  });

  it('makes a clip as the token’s user with clips:edit, and lists clips for any token', async () => {
    const clip = (token: string, query = '') =>
      call(`${platform.publicApi}/clips?channelId=${otherChannelId}${query}`, { method: 'POST', token });
    const refused = await clip(tokens.chatEdit);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="clips:edit"');
    const appToken = (await tokenRequest(platform.issuer, '/oauth/token', app, { grant_type: 'client_credentials', scope: 'clips:edit' }))
      .body.access_token;
    expect((await clip(appToken)).body.code).toBe('UNAUTHENTICATED');
    // The channel's live input is made from its creation event; then Mux reports it live for two minutes.
    const inputId = await eventually(async () => {
      const db = new Pool({ connectionString: platform.databaseUrl, max: 1 });
      try {
        const { rows } = await db.query('SELECT provider_input_id FROM live.live_input WHERE channel_id = $1', [otherChannelId]);
        return rows[0]?.provider_input_id as string | undefined;
      } finally {
        await db.end();
      }
    });
    const offline = await clip(tokens.clipsEdit);
    expect({ status: offline.status, code: offline.body.code }).toEqual({ status: 409, code: 'LIVE_CHANNEL_OFFLINE' });
    const body = JSON.stringify({
      type: 'video.live_stream.active',
      id: randomUUID(),
      created_at: new Date(Date.now() - 120_000).toISOString(),
      object: { type: 'live_stream', id: inputId },
      data: { id: inputId, status: 'active' },
    });
    const delivered = await call(`${platform.facade.url}/webhooks/v1/live/mux`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'mux-signature': signMuxWebhook(MUX_SECRET, body) },
    });
    expect(delivered.status).toBe(200);

    const made = await eventually(async () => {
      const res = await clip(tokens.clipsEdit, '&durationSeconds=15&title=From%20an%20app');
      return res.status === 202 ? res : undefined;
    });
    expect(made.body).toMatchObject({
      channel: { id: otherChannelId },
      creator: { id: broadcaster.id, login: broadcaster.login },
      state: 'PROCESSING',
      title: 'From an app',
      durationSeconds: 15,
    });
    const listed = await eventually(async () => {
      const page = await get(`/clips?channelId=${otherChannelId}`, tokens.emailOnly);
      return page.body.data?.[0]?.state === 'READY' ? page.body : undefined;
    });
    expect(listed).toEqual({
      data: [
        { ...made.body, state: 'READY', playbackId: expect.any(String), thumbnailUrl: expect.any(String), readyAt: expect.any(String) },
      ],
      total: 1,
      pagination: {},
    });
    expect((await get(`/clips?channelId=${otherChannelId}`)).status).toBe(401);
  });

  it('lets an app with chat:read watch chat in real time, and closes on one without it (4403)', async () => {
    const watcher = await RawGraphQLWsClient.connect(platform.rt.wsUrl, { authorization: `Bearer ${tokens.chatOnly}` });
    watcher.close();
    const refused = await RawGraphQLWsClient.open(platform.rt.wsUrl);
    refused.send({ type: 'connection_init', payload: { authorization: `Bearer ${tokens.emailOnly}` } });
    expect((await refused.waitForClose()).code).toBe(4403);
  });

  it('announces the rate limit on every answer, success or refusal', async () => {
    for (const res of [
      await get(`/channels/${channelId}`, tokens.chatOnly),
      await get(`/channels/${channelId}/followers`, tokens.chatOnly),
    ]) {
      expect(res.headers.get('ratelimit-policy')).toBe('"public";q=800;w=60');
      expect(res.headers.get('ratelimit')).toMatch(/^"public";r=\d+;t=\d+$/);
    }
  });
});

/** One bucket per (app, user) in Redis, drawn from by every router instance behind every facade. */
describe('Public API rate limit across two facades sharing Redis', () => {
  const POINTS = 5;
  let platform: OAuthPlatform;
  let secondRouter: RunningRouter;
  let secondFacade: RunningRestFacade;
  let channelId: string;
  let tokenA: string;
  let tokenB: string;

  beforeAll(async () => {
    const limits = {
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      RATE_LIMIT_KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:ratelimit`,
      PUBLIC_RATE_LIMIT_POINTS: String(POINTS),
      PUBLIC_RATE_LIMIT_WINDOW_SECONDS: '3600',
    };
    platform = await startOAuthPlatform(createMemoryBus(), limits);
    const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');
    // A second router-gtw as the registry starts one, on the platform's environment (its subgraphs' URLs included).
    const router = PROCESSES['router-gtw'];
    secondRouter = await router.start(router.config.parse({ ...platform.env, ROUTER_PORT: '0' }), createMemoryBus(), logger);
    secondFacade = await startRestFacade(
      restFacadeConfigSchema.parse({ REST_FACADE_PORT: '0', ROUTER_URL: `${secondRouter.url}/graphql` }),
      logger,
    );
    const user = await signUpAndLogIn(platform.api, 'limited');
    const app = await registerApp(platform.api, user.token);
    tokenA = (await userTokens(platform.issuer, app, user.token, 'chat:read')).access_token;
    tokenB = (await userTokens(platform.issuer, app, user.token, 'user:read:email')).access_token;
    channelId = await eventually(async () => (await call(`${platform.api}/users/${user.login}`)).body.channel?.id as string | undefined);
  }, 90_000);

  afterAll(async () => {
    await secondFacade?.stop();
    await secondRouter?.stop();
    await platform?.stop();
  });

  it('counts one bucket per app and user whichever facade and token the calls go through, then answers 429', async () => {
    const facades = [platform.publicApi, `${secondFacade.url}/public/v1`];
    const remaining: number[] = [];
    for (let i = 0; i < POINTS; i++) {
      // Two tokens of the same app for the same user share the bucket.
      const res = await call(`${facades[i % 2]}/channels/${channelId}`, { token: i % 2 ? tokenB : tokenA });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toBe(`"public";q=${POINTS};w=3600`);
      remaining.push(Number(/r=(\d+)/.exec(res.headers.get('ratelimit')!)![1]));
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);

    for (const facade of facades) {
      const refused = await call(`${facade}/channels/${channelId}`, { token: tokenA });
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.headers.get('ratelimit')).toMatch(/^"public";r=0;t=\d+$/);
    }
  });
});
