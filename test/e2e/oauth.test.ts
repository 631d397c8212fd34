import { createMemoryBus } from '../../kernel/bus/memory';
import { PUBLIC_API_RESOURCE } from '../../kernel/scopes';
import { checkedScopes } from '../support/checked-scopes';
import { eventually } from '../support/eventually';
import { call, signUpAndLogIn } from '../support/platform';
import {
  authorize,
  basicAuth,
  browse,
  CookieJar,
  pkcePair,
  registerApp,
  startOAuthPlatform,
  tokenRequest,
  userTokens,
  type OAuthPlatform,
  type RegisteredApp,
} from '../support/oauth';

/**
 * OAuth 2.0 for third-party apps, driven as an app and a browser would: the authorization server (user-oauth-svc)
 * issues tokens, the user approves through our own apps' session, and the Public API takes the tokens.
 */
describe('OAuth 2.0 authorization server', () => {
  let platform: OAuthPlatform;
  let issuer: string;
  let developer: Awaited<ReturnType<typeof signUpAndLogIn>>;
  let viewer: Awaited<ReturnType<typeof signUpAndLogIn>>;
  let app: RegisteredApp;

  beforeAll(async () => {
    platform = await startOAuthPlatform(createMemoryBus());
    issuer = platform.issuer;
    developer = await signUpAndLogIn(platform.api, 'oauth_dev');
    viewer = await signUpAndLogIn(platform.api, 'oauth_user');
    app = await registerApp(platform.api, developer.token);
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const publicCall = (path: string, token: string) => call(`${platform.publicApi}${path}`, { token });
  const channelOf = async (login: string) => (await call(`${platform.api}/users/${login}`)).body.channel?.id as string | undefined;

  /** The token stops opening the Public API (the router caches introspection for at most a second). */
  const refusedSoon = (token: string) =>
    eventually(async () => (await publicCall(`/users?login=${viewer.login}`, token)).status === 401, 5_000);

  it('serves RFC 8414 metadata and OpenID discovery with the same endpoints, PKCE S256 only', async () => {
    const oauth = await call(`${issuer}/.well-known/oauth-authorization-server`);
    const openid = await call(`${issuer}/.well-known/openid-configuration`);
    expect(oauth.status).toBe(200);
    expect(oauth.body).toEqual(openid.body);
    expect(oauth.body).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      device_authorization_endpoint: `${issuer}/oauth/device`,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    });
    expect(oauth.body.scopes_supported).toEqual(
      expect.arrayContaining(['user:read:email', 'channel:manage:broadcast', 'channel:read:followers']),
    );
  });

  it('offers and grants every scope the subgraphs and the realtime gateway check', async () => {
    const checked = checkedScopes(['subgraphs', 'realtime']);
    // The scan sees scopes passed through helpers and tables, not only those written in a requireScope call.
    expect([...checked.keys()]).toEqual(
      expect.arrayContaining(['moderator:manage:chat_settings', 'channel:manage:vips', 'chat:edit', 'chat:read']),
    );
    const discovery = await call(`${issuer}/.well-known/oauth-authorization-server`);
    const notAdvertised = [...checked].filter(([scope]) => !discovery.body.scopes_supported.includes(scope));
    expect(notAdvertised).toEqual([]);

    // The Public API's resource server grants each: an app token asking for every one holds every one.
    const wanted = [...checked.keys()].sort();
    const tokens = await tokenRequest(issuer, '/oauth/token', app, { grant_type: 'client_credentials', scope: wanted.join(' ') });
    expect(tokens.status).toBe(200);
    const introspected = await tokenRequest(issuer, '/oauth/introspect', app, { token: tokens.body.access_token });
    expect(introspected.body).toMatchObject({ active: true, aud: PUBLIC_API_RESOURCE });
    expect(String(introspected.body.scope).split(' ').sort()).toEqual(wanted);
  }, 60_000);

  it('runs the authorization code flow with PKCE, and the token opens the Public API for the consenting user', async () => {
    const tokens = await userTokens(issuer, app, viewer.token, 'user:read:email channel:read:followers');
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'user:read:email channel:read:followers' });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const me = await publicCall(`/users?login=${viewer.login}`, tokens.access_token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: viewer.id, login: viewer.login, email: `${viewer.login}@example.test` });
    const channelId = await eventually(() => channelOf(viewer.login));
    expect((await publicCall(`/channels/${channelId}/followers`, tokens.access_token)).status).toBe(200);
  });

  it('lets the user approve fewer scopes than asked, and the token holds only those', async () => {
    const { verifier, challenge } = pkcePair();
    const { location } = await authorize(issuer, app, viewer.token, {
      scope: 'user:read:email channel:manage:broadcast',
      challenge,
      approve: ['channel:manage:broadcast'],
    });
    const tokens = await tokenRequest(issuer, '/oauth/token', app, {
      grant_type: 'authorization_code',
      code: location!.searchParams.get('code')!,
      redirect_uri: app.redirectUri,
      code_verifier: verifier,
    });
    expect(tokens.body.scope).toBe('channel:manage:broadcast');
    const me = await publicCall(`/users?login=${viewer.login}`, tokens.body.access_token);
    expect(me.body.email).toBeNull();
  });

  it('runs the flow for a public client (no secret, PKCE alone)', async () => {
    const spa = await registerApp(platform.api, developer.token, { clientType: 'public', redirectUris: ['http://127.0.0.1:8123/cb'] });
    expect(spa.clientSecret).toBeNull();
    const tokens = await userTokens(issuer, spa, viewer.token, 'user:read:email');
    expect((await publicCall(`/users?login=${viewer.login}`, tokens.access_token)).body.email).toBe(`${viewer.login}@example.test`);
  });

  it('completes a request that also asks for openid, with an ID token naming the user', async () => {
    const tokens = (await userTokens(issuer, app, viewer.token, 'openid user:read:email')) as { id_token?: string; access_token: string };
    const claims = JSON.parse(Buffer.from(tokens.id_token!.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: viewer.id, iss: issuer, aud: app.clientId });
    expect((await publicCall(`/users?login=${viewer.login}`, tokens.access_token)).body.email).toBe(`${viewer.login}@example.test`);
  });

  it('issues app tokens by client credentials, which act for no user', async () => {
    const tokens = await tokenRequest(issuer, '/oauth/token', app, { grant_type: 'client_credentials', scope: 'channel:manage:broadcast' });
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });

    const user = await publicCall(`/users?login=${viewer.login}`, tokens.body.access_token);
    expect(user.status).toBe(200);
    expect(user.body.email).toBeNull();
    const channelId = await eventually(() => channelOf(viewer.login));
    expect((await publicCall(`/channels/${channelId}`, tokens.body.access_token)).status).toBe(200);
    const patch = await call(`${platform.publicApi}/channels/${channelId}`, {
      method: 'PATCH',
      token: tokens.body.access_token,
      body: { title: 'app says' },
    });
    expect(patch.status).toBe(401);
  });

  it('refuses client credentials to a public client', async () => {
    const spa = await registerApp(platform.api, developer.token, { clientType: 'public' });
    const tokens = await tokenRequest(issuer, '/oauth/token', spa, { grant_type: 'client_credentials' });
    expect(tokens.status).toBe(400);
    expect(tokens.body).toMatchObject({
      error: 'invalid_request',
      error_description: 'requested grant type is not allowed for this client',
    });
    expect(tokens.body.access_token).toBeUndefined();
  });

  it('runs the device authorization grant: the user confirms the code with their session', async () => {
    const tv = await registerApp(platform.api, developer.token, { clientType: 'public' });
    const device = await tokenRequest(issuer, '/oauth/device', tv, { scope: 'user:read:email' });
    expect(device.status).toBe(200);
    expect(device.body).toMatchObject({
      device_code: expect.any(String),
      user_code: expect.any(String),
      verification_uri: `${issuer}/activate`,
    });
    const poll = () =>
      tokenRequest(issuer, '/oauth/token', tv, {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: device.body.device_code,
      });
    expect((await poll()).body.error).toBe('authorization_pending');

    // The user opens the verification page on a phone, types the code, confirms, and approves with their session.
    const jar = new CookieJar();
    const page = await (await browse(jar, `${issuer}/activate`)).text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)![1];
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    const confirmPage = await (await browse(jar, `${issuer}/activate`, form({ xsrf, user_code: device.body.user_code }))).text();
    const confirmXsrf = /name="xsrf" value="([^"]+)"/.exec(confirmPage)![1];
    let response = await browse(jar, `${issuer}/activate`, form({ xsrf: confirmXsrf, user_code: device.body.user_code, confirm: 'yes' }));
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      const next = new URL(response.headers.get('location')!, issuer);
      const interaction = /^\/oauth\/interaction\/([^/]+)$/.exec(next.pathname);
      response = interaction
        ? await browse(jar, `${issuer}/oauth/interaction/${interaction[1]}/consent`, {
            method: 'POST',
            headers: { authorization: `Bearer ${viewer.token}`, 'content-type': 'application/json' },
            body: '{}',
          })
        : await browse(jar, next.href);
    }
    expect(response.status).toBe(200);

    const tokens = await poll();
    expect(tokens.status).toBe(200);
    expect((await publicCall(`/users?login=${viewer.login}`, tokens.body.access_token)).body.email).toBe(`${viewer.login}@example.test`);
  });

  it('shows the consent screen what the app asks for, and a refusal reaches the app as access_denied', async () => {
    const jar = new CookieJar();
    const params = new URLSearchParams({
      client_id: app.clientId,
      response_type: 'code',
      redirect_uri: app.redirectUri,
      scope: 'user:read:email chat:read',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    const start = await browse(jar, `${issuer}/oauth/authorize?${params}`);
    const interaction = start.headers.get('location')!;
    expect(interaction).toMatch(/^\/oauth\/interaction\/[^/]+$/);
    const session = { authorization: `Bearer ${viewer.token}` };

    const details = await browse(jar, `${issuer}${interaction}`, { headers: session });
    expect(details.status).toBe(200);
    expect(await details.json()).toMatchObject({
      prompt: 'login',
      client: { clientId: app.clientId, name: 'Test app' },
      scopes: [
        { scope: 'user:read:email', description: expect.any(String) },
        { scope: 'chat:read', description: expect.any(String) },
      ],
    });

    let response = await browse(jar, `${issuer}${interaction}/deny`, { method: 'POST', headers: session });
    for (let hops = 0; hops < 5 && new URL(response.headers.get('location')!, issuer).origin === issuer; hops++) {
      response = await browse(jar, new URL(response.headers.get('location')!, issuer).href);
    }
    const back = new URL(response.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(app.redirectUri);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('refuses the consent step without a first-party session', async () => {
    const { stoppedAt, location } = await authorize(issuer, app, 'not-a-session', { scope: 'user:read:email' });
    expect(location).toBeUndefined();
    expect(stoppedAt!.status).toBe(401);
    expect(stoppedAt!.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  describe('attacks that must fail', () => {
    const codeError = async (challenge: string | null, method?: string) => {
      const { location } = await authorize(issuer, app, viewer.token, { scope: 'user:read:email', challenge, method });
      expect(location!.origin + location!.pathname).toBe(app.redirectUri);
      expect(location!.searchParams.get('code')).toBeNull();
      return location!.searchParams.get('error');
    };

    it('refuses an authorization request without PKCE', async () => {
      expect(await codeError(null)).toBe('invalid_request');
    });

    it('refuses the plain PKCE method', async () => {
      expect(await codeError('a'.repeat(43), 'plain')).toBe('invalid_request');
    });

    it('refuses a code exchanged with the wrong verifier', async () => {
      const { challenge } = pkcePair();
      const { location } = await authorize(issuer, app, viewer.token, { scope: 'user:read:email', challenge });
      const tokens = await tokenRequest(issuer, '/oauth/token', app, {
        grant_type: 'authorization_code',
        code: location!.searchParams.get('code')!,
        redirect_uri: app.redirectUri,
        code_verifier: pkcePair().verifier,
      });
      expect(tokens.status).toBe(400);
      expect(tokens.body.error).toBe('invalid_grant');
    });

    it('refuses a reused code, and revokes what the first use issued', async () => {
      const { verifier, challenge } = pkcePair();
      const { location } = await authorize(issuer, app, viewer.token, { scope: 'user:read:email', challenge });
      const exchange = () =>
        tokenRequest(issuer, '/oauth/token', app, {
          grant_type: 'authorization_code',
          code: location!.searchParams.get('code')!,
          redirect_uri: app.redirectUri,
          code_verifier: verifier,
        });
      const first = await exchange();
      expect(first.status).toBe(200);
      const second = await exchange();
      expect(second.status).toBe(400);
      expect(second.body.error).toBe('invalid_grant');
      await refusedSoon(first.body.access_token);
    });

    it.each([
      ['an extra path', 'https://app.example.test/callback/evil'],
      ['a query', 'https://app.example.test/callback?next=evil'],
      ['a trailing slash', 'https://app.example.test/callback/'],
      ['a different case', 'https://app.example.test/Callback'],
      ['userinfo', 'https://evil@app.example.test/callback'],
      ['a subdomain', 'https://evil.app.example.test/callback'],
    ])('never redirects to a redirect URI with %s', async (_case, redirectUri) => {
      const { location, stoppedAt } = await authorize(issuer, app, viewer.token, { scope: 'user:read:email', redirectUri });
      expect(location).toBeUndefined();
      expect(stoppedAt!.status).toBe(400);
      expect(await stoppedAt!.text()).toContain('redirect_uri');
    });

    it('rotates refresh tokens, and a replayed one kills the whole grant', async () => {
      const first = await userTokens(issuer, app, viewer.token, 'user:read:email');
      const refresh = (refreshToken: string) =>
        tokenRequest(issuer, '/oauth/token', app, { grant_type: 'refresh_token', refresh_token: refreshToken });
      const second = await refresh(first.refresh_token!);
      expect(second.status).toBe(200);
      expect(second.body.refresh_token).not.toBe(first.refresh_token);
      expect((await publicCall(`/users?login=${viewer.login}`, second.body.access_token)).status).toBe(200);

      const replay = await refresh(first.refresh_token!);
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');
      expect((await refresh(second.body.refresh_token)).body.error).toBe('invalid_grant');
      await refusedSoon(second.body.access_token);
    });

    it('refuses a revoked access token', async () => {
      const tokens = await userTokens(issuer, app, viewer.token, 'user:read:email');
      expect((await publicCall(`/users?login=${viewer.login}`, tokens.access_token)).status).toBe(200);
      const revoked = await tokenRequest(issuer, '/oauth/revoke', app, { token: tokens.access_token, token_type_hint: 'access_token' });
      expect(revoked.status).toBe(200);
      await refusedSoon(tokens.access_token);
    });

    it('refuses revocation without client authentication', async () => {
      const tokens = await userTokens(issuer, app, viewer.token, 'user:read:email');
      const revoked = await tokenRequest(issuer, '/oauth/revoke', null, { token: tokens.access_token });
      expect(revoked.status).toBe(400);
      expect((await publicCall(`/users?login=${viewer.login}`, tokens.access_token)).status).toBe(200);
    });

    it('answers a public client, which cannot authenticate, nothing about its own token', async () => {
      const spa = await registerApp(platform.api, developer.token, { clientType: 'public', redirectUris: ['http://127.0.0.1:8124/cb'] });
      const tokens = await userTokens(issuer, spa, viewer.token, 'user:read:email');
      expect((await tokenRequest(issuer, '/oauth/introspect', spa, { token: tokens.access_token })).body).toEqual({ active: false });
    });

    it('refuses introspection without client authentication, or of another app’s token', async () => {
      const tokens = await userTokens(issuer, app, viewer.token, 'user:read:email');
      const anonymous = await tokenRequest(issuer, '/oauth/introspect', null, { token: tokens.access_token });
      expect(anonymous.status).toBe(400);
      expect(anonymous.body.active).toBeUndefined();
      const wrongSecret = await fetch(`${issuer}/oauth/introspect`, {
        method: 'POST',
        headers: { authorization: basicAuth(app.clientId, 'not-the-secret'), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.access_token }).toString(),
      });
      expect(wrongSecret.status).toBe(401);

      const other = await registerApp(platform.api, developer.token);
      expect((await tokenRequest(issuer, '/oauth/introspect', other, { token: tokens.access_token })).body).toEqual({ active: false });
      expect((await tokenRequest(issuer, '/oauth/introspect', app, { token: tokens.access_token })).body).toMatchObject({
        active: true,
        client_id: app.clientId,
        sub: viewer.id,
      });
    });

    it('refuses a secret that was rotated away', async () => {
      const rotated = await call(`${platform.api}/developer/apps/${app.clientId}/secret`, { method: 'POST', token: developer.token });
      expect(rotated.status).toBe(200);
      const old = await tokenRequest(issuer, '/oauth/token', app, { grant_type: 'client_credentials' });
      expect(old.status).toBe(401);
      app = { ...app, clientSecret: rotated.body.clientSecret };
      expect((await tokenRequest(issuer, '/oauth/token', app, { grant_type: 'client_credentials' })).status).toBe(200);
    });

    it('refuses a Public API token on the Private API, and a session token on the Public API', async () => {
      const tokens = await userTokens(issuer, app, viewer.token, 'user:read:email');
      const privateCall = await call(`${platform.api}/me`, { token: tokens.access_token });
      expect(privateCall.status).toBe(401);
      expect(privateCall.body.code).toBe('UNAUTHENTICATED');
      const sessionOnPublic = await publicCall(`/users?login=${viewer.login}`, viewer.token);
      expect(sessionOnPublic.status).toBe(401);
      expect(sessionOnPublic.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    });

    it('revokes every token of a deleted app', async () => {
      const doomed = await registerApp(platform.api, developer.token);
      const tokens = await userTokens(issuer, doomed, viewer.token, 'user:read:email');
      expect((await publicCall(`/users?login=${viewer.login}`, tokens.access_token)).status).toBe(200);
      expect((await call(`${platform.api}/developer/apps/${doomed.clientId}`, { method: 'DELETE', token: developer.token })).status).toBe(
        200,
      );
      await refusedSoon(tokens.access_token);
      expect((await tokenRequest(issuer, '/oauth/token', doomed, { grant_type: 'client_credentials' })).status).toBe(401);
    });
  });
});
