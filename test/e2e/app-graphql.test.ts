import { createMemoryBus } from '../../kernel/bus/memory';
import { issueStaffToken } from '../../kernel/identity';
import { readManifest, sha256 } from '../../kernel/persisted';
import { eventually } from '../support/eventually';
import { type OAuthPlatform, registerApp, startOAuthPlatform, userTokens } from '../support/oauth';
import { type ApiResponse, call, signUpAndLogIn } from '../support/platform';

/** Per user; anonymous calls share one bucket per address, which this file's few anonymous calls stay well under. */
const RATE_LIMIT_POINTS = 20;

const operation = (api: string, name: string) => {
  const found = readManifest(api).operations.find((op) => op.name === name);
  if (!found) throw new Error(`${api} has no ${name}`);
  return found;
};
const CHANNEL_PAGE = operation('app.v1', 'ChannelPage');
const FOLLOW = operation('app.v1', 'FollowChannel');

const persisted = (id: string) => ({ persistedQuery: { version: 1, sha256Hash: id } });

/**
 * Our own apps at the edge: persisted operations of the app manifest by id at /private/graphql, over POST and GET,
 * with the Private API's callers, cacheable answers and the REST facade's closed set of error codes.
 */
describe('/private/graphql: the apps’ persisted operations at the edge', () => {
  let platform: OAuthPlatform;
  let endpoint: string;
  let api: string;
  let streamer: Awaited<ReturnType<typeof signUpAndLogIn>>;
  let viewer: Awaited<ReturnType<typeof signUpAndLogIn>>;
  let channelId: string;

  beforeAll(async () => {
    platform = await startOAuthPlatform(createMemoryBus(), {
      APP_RATE_LIMIT_POINTS: String(RATE_LIMIT_POINTS),
      APP_RATE_LIMIT_WINDOW_SECONDS: '3600',
    });
    api = platform.api;
    endpoint = `${platform.facade.url}/private/graphql`;
    streamer = await signUpAndLogIn(api, 'apppage');
    viewer = await signUpAndLogIn(api, 'appviewer');
    channelId = await eventually(async () => (await call(`${api}/users/${streamer.login}`)).body.channel?.id as string | undefined);
    await eventually(async () => (await call(`${api}/channels/${channelId}/chat/settings`)).status === 200 || undefined);
    expect((await call(`${api}/channels/${channelId}/follow`, { method: 'PUT', token: viewer.token })).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const post = (body: unknown, token?: string, headers: Record<string, string> = {}) =>
    call(endpoint, { method: 'POST', body, token, headers });
  const get = (params: Record<string, unknown>, token?: string, headers: Record<string, string> = {}) => {
    const search = new URLSearchParams(
      Object.entries(params).map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
    );
    return call(`${endpoint}?${search}`, { token, headers });
  };
  const channelPage = { operationName: 'ChannelPage', variables: { channelId: '' }, extensions: persisted(CHANNEL_PAGE.id) };
  const pageOf = () => ({ ...channelPage, variables: { channelId } });

  /** The channel page as the REST routes answer it, assembled as an app makes it from three calls. */
  async function fromRest(token?: string) {
    const [user, stream, settings] = await Promise.all([
      call(`${api}/users/${streamer.login}`, { token }),
      call(`${api}/channels/${channelId}/stream`, { token }),
      call(`${api}/channels/${channelId}/chat/settings`, { token }),
    ]);
    for (const answer of [user, stream, settings]) expect(answer.status).toBe(200);
    const { channel } = user.body;
    return {
      channel: {
        ...channel,
        owner: { id: user.body.id, login: user.body.login, displayName: user.body.displayName },
        streamState: stream.body.streamState,
        stream: stream.body.stream,
        chatroom: { settings: settings.body },
      },
    };
  }

  const followerCount = async () => (await call(`${api}/users/${streamer.login}`)).body.channel.followerCount as number;
  const follows = async (token: string) =>
    (await call(`${api}/users/${streamer.login}`, { token })).body.channel.followedByViewer as boolean;

  const expectRefused = (answer: ApiResponse, status: number, code: string) => {
    expect({ status: answer.status, code: answer.body?.errors?.[0]?.extensions?.code }).toEqual({ status, code });
    expect(answer.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(answer.body.data).toBeUndefined();
  };

  it('answers the channel page over POST with the data of the REST routes together', async () => {
    const anonymous = await post(pageOf());
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(anonymous.body).toEqual({ data: await fromRest() });
    expect(anonymous.body.data.channel.followedByViewer).toBe(false);
    expect(anonymous.headers.get('cache-control')).toBe('no-store');

    const signedIn = await post(pageOf(), viewer.token);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toEqual({ data: await fromRest(viewer.token) });
    expect(signedIn.body.data.channel.followedByViewer).toBe(true);
  });

  it('answers it over GET, public and with an ETag for anonymous callers; If-None-Match gets 304', async () => {
    const first = await get(pageOf());
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ data: await fromRest() });
    expect(first.headers.get('cache-control')).toBe('public, max-age=5');
    expect(first.headers.get('vary')).toBe('Accept, Authorization');
    // Shared caches would pass one caller's remaining budget on to everyone.
    expect(first.headers.get('ratelimit')).toBeNull();
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);

    const again = await get(pageOf(), undefined, { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toBe('public, max-age=5');

    const stale = await get(pageOf(), undefined, { 'if-none-match': '"another"' });
    expect(stale.status).toBe(200);
    expect(stale.headers.get('etag')).toBe(etag);
  });

  it('never answers an authenticated GET publicly', async () => {
    const answer = await get(pageOf(), viewer.token);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: await fromRest(viewer.token) });
    expect(answer.headers.get('cache-control')).toBe('private, max-age=5');
    expect(answer.headers.get('ratelimit')).toMatch(/^"app";r=\d+;t=\d+$/);
    const etag = answer.headers.get('etag')!;
    expect(etag).not.toBe((await get(pageOf())).headers.get('etag'));
    expect((await get(pageOf(), viewer.token, { 'if-none-match': etag })).status).toBe(304);
  });

  it('runs the app manifest’s mutations over POST only', async () => {
    const fan = await signUpAndLogIn(api, 'appfan');
    const before = await followerCount();
    const refused = await get({ operationName: 'FollowChannel', variables: { channelId }, extensions: persisted(FOLLOW.id) }, fan.token);
    expectRefused(refused, 405, 'METHOD_NOT_ALLOWED');
    expect(refused.headers.get('allow')).toBe('POST');
    expect(await follows(fan.token)).toBe(false);

    const followed = await post({ variables: { channelId }, extensions: persisted(FOLLOW.id) }, fan.token);
    expect(followed.status).toBe(200);
    expect(followed.body.data.followChannel).toEqual({ id: channelId, followerCount: before + 1, followedByViewer: true });
    expect(followed.headers.get('cache-control')).toBe('no-store');
  });

  describe('refuses, and nothing runs', () => {
    let target: Awaited<ReturnType<typeof signUpAndLogIn>>;
    const follow = { operationName: 'FollowChannel', variables: { channelId: '' }, extensions: persisted(FOLLOW.id) };

    beforeAll(async () => {
      target = await signUpAndLogIn(api, 'appnobody');
      follow.variables.channelId = channelId;
    });

    afterEach(async () => {
      expect(await follows(target.token)).toBe(false);
    });

    it('a document sent as text without an id, even the persisted text', async () => {
      expectRefused(await post({ query: FOLLOW.body, variables: { channelId } }, target.token), 400, 'OPERATION_NOT_PERSISTED');
      expectRefused(await get({ query: CHANNEL_PAGE.body, variables: { channelId } }), 400, 'OPERATION_NOT_PERSISTED');
    });

    it('an unknown id, with or without its text, as Apollo clients expect', async () => {
      const text = FOLLOW.body.replace('followerCount', 'followerCount\n    title');
      const unknown = await post({ query: text, variables: { channelId }, extensions: persisted(sha256(text)) }, target.token);
      expectRefused(unknown, 404, 'PERSISTED_QUERY_NOT_FOUND');
      expect(unknown.body.errors[0].message).toBe('PersistedQueryNotFound');
      expectRefused(
        await get({ variables: { channelId }, extensions: persisted(sha256('query X { me { id } }')) }),
        404,
        'PERSISTED_QUERY_NOT_FOUND',
      );
    });

    it('a known id with a different text', async () => {
      const text = FOLLOW.body.replace('    followerCount\n', '');
      expect(text).not.toBe(FOLLOW.body);
      expectRefused(await post({ ...follow, query: text }, target.token), 400, 'OPERATION_NOT_PERSISTED');
    });

    it('the id of a Public, Admin or Private API operation', async () => {
      const foreign = [
        operation('public.v1', 'ModifyChannelInformation'),
        operation('admin.v1', 'SuspendUser'),
        operation('private.v1', 'UpdateChannel'),
      ];
      for (const op of foreign) {
        const answer = await post(
          {
            operationName: op.name,
            variables: { channelId, broadcasterId: channelId, userId: target.id, id: channelId, input: { title: 'hijacked' } },
            extensions: persisted(op.id),
          },
          streamer.token,
        );
        expectRefused(answer, 404, 'PERSISTED_QUERY_NOT_FOUND');
      }
      expect((await call(`${api}/users/${streamer.login}`)).body.channel.title).not.toBe('hijacked');
    });

    it('an OAuth access token, even of a user who consented', async () => {
      const app = await registerApp(api, target.token);
      const tokens = await userTokens(platform.issuer, app, target.token, 'user:read:email');
      const answer = await post(follow, tokens.access_token);
      expectRefused(answer, 401, 'UNAUTHENTICATED');
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      expectRefused(await get(pageOf(), tokens.access_token), 401, 'UNAUTHENTICATED');
    });

    it('a staff token', async () => {
      const staff = await issueStaffToken(platform.keys.staff, {
        userId: target.id,
        permissions: ['graph:explore', 'users:read'],
        mfaAt: Math.floor(Date.now() / 1000),
      });
      expectRefused(await post(follow, staff), 401, 'UNAUTHENTICATED');
      expectRefused(await get(pageOf(), staff), 401, 'UNAUTHENTICATED');
    });
  });

  it('answers malformed requests with the closed set of codes and GraphQL-over-HTTP statuses', async () => {
    expectRefused(await post({ ...channelPage, variables: {} }), 400, 'VALIDATION_FAILED');
    expectRefused(await post({ ...pageOf(), variables: { channelId: 'a\u0000b' } }), 400, 'VALIDATION_FAILED');
    expectRefused(await post({ ...pageOf(), operationName: 'GetMe' }), 400, 'BAD_REQUEST');
    expectRefused(
      await post({ ...pageOf(), extensions: { persistedQuery: { version: 2, sha256Hash: CHANNEL_PAGE.id } } }),
      400,
      'BAD_REQUEST',
    );
    expectRefused(await get({ ...pageOf(), variables: '{not json' }), 400, 'BAD_REQUEST');
    expectRefused(await post('{not json', undefined), 400, 'BAD_REQUEST');
    expectRefused(await post(JSON.stringify(pageOf()), undefined, { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectRefused(await post({ ...pageOf(), padding: 'x'.repeat(70_000) }), 413, 'PAYLOAD_TOO_LARGE');
    expectRefused(await call(endpoint, { method: 'DELETE' }), 405, 'METHOD_NOT_ALLOWED');
    expectRefused(await post(pageOf(), undefined, { accept: 'text/html' }), 406, 'NOT_ACCEPTABLE');
    expectRefused(await post(pageOf(), 'not-a-token'), 401, 'UNAUTHENTICATED');

    // A client that takes plain JSON only is answered 200, as GraphQL-over-HTTP asks for it.
    const legacy = await post({ ...channelPage, variables: {} }, undefined, { accept: 'application/json' });
    expect(legacy.status).toBe(200);
    expect(legacy.headers.get('content-type')).toMatch(/^application\/json/);
    expect(legacy.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
  });

  it('answers a channel that does not exist with data and no cache', async () => {
    const answer = await get({ ...channelPage, variables: { channelId: '00000000-0000-4000-8000-000000000000' } });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ channel: null });
  });

  it('counts requests per user and answers 429 past the limit', async () => {
    const busy = await signUpAndLogIn(api, 'appbusy');
    const remaining: number[] = [];
    for (let i = 0; i < RATE_LIMIT_POINTS; i++) {
      const answer = await post(pageOf(), busy.token);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit-policy')).toBe(`"app";q=${RATE_LIMIT_POINTS};w=3600`);
      remaining.push(Number(/r=(\d+)/.exec(answer.headers.get('ratelimit')!)![1]));
    }
    expect(remaining).toEqual(Array.from({ length: RATE_LIMIT_POINTS }, (_, i) => RATE_LIMIT_POINTS - 1 - i));
    const refused = await post(pageOf(), busy.token);
    expectRefused(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user's bucket is their own.
    expect((await post(pageOf(), viewer.token)).status).toBe(200);
  });
});
