import { gzipSync } from 'node:zlib';
import { SignJWT } from 'jose';
import { createMemoryBus } from '../../kernel/bus/memory';
import { createLogger } from '../../kernel/log';
import { startRestFacade } from '../../rest-facade/src';
import { restFacadeConfigSchema } from '../../rest-facade/src/config';
import { createInProcessRouterClient } from '../../rest-facade/src/in-process-router';
import { eventually } from '../support/eventually';
import { call, signUpAndLogIn, startTestPlatform, uniqueLogin, type TestPlatform } from '../support/platform';

/** Bad input gets a clear 4xx and changes nothing; no layer answers 5xx to a client's mistake. */
describe('bad input', () => {
  let platform: TestPlatform;
  let api: string;

  beforeAll(async () => {
    platform = await startTestPlatform(createMemoryBus());
    api = platform.api;
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it.each([
    ['malformed JSON', '{"login": "abc', 'BAD_REQUEST'],
    ['a missing field', { login: 'valid_login', password: 'long-enough' }, 'VALIDATION_FAILED'],
    ['an extra field', { login: 'valid_login', email: 'a@b.test', password: 'long-enough', admin: true }, 'VALIDATION_FAILED'],
    ['a wrong type', { login: 12345, email: 'a@b.test', password: 'long-enough' }, 'VALIDATION_FAILED'],
    ['an over-long login', { login: 'x'.repeat(26), email: 'a@b.test', password: 'long-enough' }, 'VALIDATION_FAILED'],
    ['an upper-case login', { login: 'NotLower', email: 'a@b.test', password: 'long-enough' }, 'VALIDATION_FAILED'],
    ['a short password', { login: 'valid_login', email: 'a@b.test', password: 'short' }, 'VALIDATION_FAILED'],
    ['a bad email', { login: 'valid_login', email: 'not-an-email', password: 'long-enough' }, 'VALIDATION_FAILED'],
  ])('should refuse sign-up with %s', async (_case, body, code) => {
    const res = await call(`${api}/users`, { method: 'POST', body });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe(code);
    expect((await call(`${api}/users/valid_login`)).status).toBe(404);
  });

  it('should name the offending field', async () => {
    const res = await call(`${api}/users`, { method: 'POST', body: { login: 'ab', email: 'a@b.test', password: 'long-enough' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.errors)).toContain('login');
  });

  it('should carry the caller’s request id into its answer', async () => {
    const res = await call(`${api}/users/nobody_here`, { headers: { 'x-request-id': 'trace-0123456789' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('trace-0123456789');
    expect(res.body.requestId).toBe('trace-0123456789');
  });

  it('should answer the same through the router in the same process (edge-gtw)', async () => {
    const edge = await startRestFacade(
      restFacadeConfigSchema.parse({ REST_FACADE_PORT: '0', ROUTER_URL: `${platform.router.url}/graphql` }),
      createLogger('edge', 'silent'),
      createInProcessRouterClient(platform.router.core),
    );
    try {
      const edgeApi = `${edge.url}/private/v1`;
      const { login, token } = await signUpAndLogIn(edgeApi, 'edge');
      const viaEdge = await call(`${edgeApi}/me`, { token });
      const viaHttp = await call(`${api}/me`, { token });
      expect(viaEdge.status).toBe(200);
      expect(viaEdge.body).toEqual(viaHttp.body);
      expect(viaEdge.body.login).toBe(login);
      for (const path of ['/me', `/users/${uniqueLogin('ghost')}`]) {
        const [a, b] = await Promise.all([call(`${edgeApi}${path}`, { token: 'bad' }), call(`${api}${path}`, { token: 'bad' })]);
        expect(a.status).toBe(b.status);
        expect(a.body.code).toBe(b.body.code);
      }
    } finally {
      await edge.stop();
    }
  });

  it('should answer unknown routes and methods with problems', async () => {
    expect((await call(`${api}/nope`)).status).toBe(404);
    expect((await call(`${platform.facade.url}/private/v9/me`)).status).toBe(404);
    expect((await call(`${api}/me`, { method: 'DELETE' })).status).toBe(405);
  });

  it('should refuse a non-persisted GraphQL document at the router', async () => {
    const res = await call(`${platform.router.url}/graphql`, {
      method: 'POST',
      body: { query: '{ user(login: "demo_streamer") { id email } }' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('OPERATION_NOT_PERSISTED');
  });

  it('should refuse a subgraph call without the signed identity', async () => {
    for (const url of [platform.user.url, platform.chnl.url]) {
      const res = await call(`${url}/graphql`, { method: 'POST', body: { query: '{ _service { sdl } }' } });
      expect(res.status).toBe(401);
      expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  it('should refuse an expired or tampered token', async () => {
    const { token } = await signUpAndLogIn(api, 'tokens');
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = [
      header,
      Buffer.from(JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })).toString('base64url'),
      signature,
    ].join('.');
    const expired = await new SignJWT({ sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject(claims.sub)
      .setIssuer(claims.iss)
      .setAudience(claims.aud)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 1800)
      .sign(new TextEncoder().encode('a-secret-that-is-not-the-platforms-secret'));
    for (const bad of [tampered, expired, 'not-a-jwt']) {
      const res = await call(`${api}/me`, { token: bad });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    }
    expect((await call(`${api}/me`, { token })).status).toBe(200);
  });

  it('should refuse a malformed channel id, cursor and page size without a 5xx', async () => {
    const { token } = await signUpAndLogIn(api, 'ids');
    expect((await call(`${api}/channels/not-a-uuid/follow`, { method: 'PUT', token })).status).toBe(400);
    expect((await call(`${api}/channels/00000000-0000-4000-8000-000000000000/follow`, { method: 'PUT', token })).status).toBe(404);
    expect((await call(`${api}/channels/00000000-0000-4000-8000-000000000000/followers?first=101`)).status).toBe(400);
    const res = await call(`${api}/channels/00000000-0000-4000-8000-000000000000/followers?after=garbage`);
    expect(res.status).toBeLessThan(500);
    expect(res.status).toBeGreaterThanOrEqual(400);
    const login = uniqueLogin('patch');
    expect((await call(`${api}/users/${login}`)).status).toBe(404);
  });

  describe('text PostgreSQL and JSON cannot hold', () => {
    const channelOf = async (token: string) =>
      eventually(async () => {
        const me = await call(`${api}/me`, { token });
        return me.status === 200 && me.body.channel ? (me.body.channel as { id: string; title: string }) : undefined;
      });

    it.each([
      ['a NUL character', 'live\u0000now', 'must not contain NUL characters'],
      ['a lone surrogate', 'live \ud800 now', 'must be well-formed Unicode (no lone surrogates)'],
    ])('should refuse %s in a body field with a 400 naming the field, and change nothing', async (_case, title, message) => {
      const owner = await signUpAndLogIn(api, 'nul');
      const channel = await channelOf(owner.token);
      const res = await call(`${api}/channels/${channel.id}`, { method: 'PATCH', token: owner.token, body: { title } });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors).toContainEqual({ field: 'body.title', message });
      expect((await channelOf(owner.token)).title).toBe(channel.title);
    });

    it('should refuse a NUL character in a path or query parameter with a 400 naming it', async () => {
      const { token } = await signUpAndLogIn(api, 'nulpath');
      const inPath = await call(`${api}/developer/apps/a%00b`, { token });
      expect(inPath.status).toBe(400);
      expect(inPath.body.errors).toContainEqual({ field: 'path.clientId', message: 'must not contain NUL characters' });
      const inQuery = await call(`${api}/channels/00000000-0000-4000-8000-000000000000/followers?after=a%00b`);
      expect(inQuery.status).toBe(400);
      expect(inQuery.body.errors).toContainEqual({ field: 'query.after', message: 'must not contain NUL characters' });
    });
  });

  describe('content encodings', () => {
    const signUp = { email: 'gzip@example.test', password: 'long-enough-password' };

    it.each(['gzip', 'deflate', 'br'])('should refuse a body that says it is %s but is not with a 400 problem', async (encoding) => {
      const res = await call(`${api}/users`, {
        method: 'POST',
        body: JSON.stringify({ ...signUp, login: uniqueLogin('notgzip') }),
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code).toBe('BAD_REQUEST');
    });

    it('should refuse an encoding it does not know with a 415 naming the ones it accepts', async () => {
      const res = await call(`${api}/users`, {
        method: 'POST',
        body: JSON.stringify({ ...signUp, login: uniqueLogin('br') }),
        headers: { 'content-type': 'application/json', 'content-encoding': 'snappy' },
      });
      expect(res.status).toBe(415);
      expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(res.headers.get('accept-encoding')).toBe('gzip, deflate, br');
    });

    it('should accept a body that really is gzip', async () => {
      const login = uniqueLogin('gzip');
      const res = await fetch(`${api}/users`, {
        method: 'POST',
        body: gzipSync(JSON.stringify({ ...signUp, email: `${login}@example.test`, login })),
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      });
      expect(res.status).toBe(201);
    });
  });

  it('should match paths case-sensitively, as the documents write them', async () => {
    for (const url of [`${platform.facade.url}/ADMIN/v1/permissions`, `${platform.facade.url}/Private/v1/me`, `${api}/USERS/demo`]) {
      const res = await call(url);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
  });

  it('should send no-store and the security headers with tokens and with problems', async () => {
    const { login, password } = await signUpAndLogIn(api, 'headers');
    const session = await call(`${api}/sessions`, { method: 'POST', body: { login, password } });
    const missing = await call(`${api}/users/${uniqueLogin('ghost')}`);
    for (const res of [session, missing]) {
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    }
    expect(session.status).toBe(201);
    expect(missing.status).toBe(404);
  });
});
