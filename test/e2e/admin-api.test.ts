import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { issueStaffToken } from '../../kernel/identity';
import { fromRoot } from '../../kernel/paths';
import { bootstrapFirstAdmin } from '../../subgraphs/user/src';
import { totpCode } from '../../subgraphs/user/src/services/totp';
import { RawGraphQLWsClient } from '../support/graphql-ws';
import { kafkaBusForTests } from '../support/kafka';
import { registerApp, startOAuthPlatform, tokenRequest, userTokens, type OAuthPlatform, type RegisteredApp } from '../support/oauth';
import { eventually } from '../support/eventually';
import { call, signUpAndLogIn } from '../support/platform';

/**
 * The Admin API through the REST facade, with suspensions reaching the router over real Kafka and the
 * authorization server beside it: staff log in with a password and a TOTP code, act within their permissions
 * only, and every action lands in the audit log.
 */
describe('admin API', () => {
  let platform: OAuthPlatform;
  let app: RegisteredApp;
  let admin: string;
  let privateApi: string;
  let adminToken: string;
  let adminUser: Awaited<ReturnType<typeof signUpAndLogIn>>;
  let adminSecret: string;
  const password = 'a-good-password';

  const adminLogIn = (login: string, code: string, pw = password) =>
    call(`${admin}/sessions`, { method: 'POST', body: { login, password: pw, totpCode: code } });
  const nextStep = (secret: string) => totpCode(secret, Date.now() + 30_000);

  beforeAll(async () => {
    platform = await startOAuthPlatform(await kafkaBusForTests('admin-api'));
    privateApi = platform.api;
    admin = `${platform.facade.url}/admin/v1`;
    adminUser = await signUpAndLogIn(privateApi, 'boss');
    app = await registerApp(privateApi, (await signUpAndLogIn(privateApi, 'developer')).token);
    adminSecret = (await bootstrapFirstAdmin(platform.databaseUrl, adminUser.login)).totpSecret;
    const login = await adminLogIn(adminUser.login, totpCode(adminSecret));
    expect(login.status).toBe(201);
    adminToken = login.body.accessToken;
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('should refuse a second bootstrap once staff exist', async () => {
    const other = await signUpAndLogIn(privateApi, 'usurper');
    await expect(bootstrapFirstAdmin(platform.databaseUrl, other.login)).rejects.toMatchObject({ code: 'STAFF_EXISTS' });
  });

  it('should need the password and a current, unused TOTP code to log in', async () => {
    const member = await signUpAndLogIn(privateApi, 'sue');
    const added = await call(`${admin}/staff`, {
      method: 'POST',
      token: adminToken,
      body: { userId: member.id, roles: ['support'], reason: 'hired' },
    });
    expect(added.status).toBe(201);
    expect(added.body.totpSecret).toMatch(/^[A-Z2-7]+$/);
    const secret = added.body.totpSecret;

    expect((await adminLogIn(member.login, '000000')).status).toBe(401);
    expect((await adminLogIn(member.login, totpCode(secret), 'wrong-password')).status).toBe(401);
    const code = totpCode(secret);
    const ok = await adminLogIn(member.login, code);
    expect(ok.status).toBe(201);
    expect(ok.body.permissions).toEqual(['users:read']);
    const replay = await adminLogIn(member.login, code);
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('USER_INVALID_CREDENTIALS');

    const search = await call(`${admin}/users?query=${member.login}`, { token: ok.body.accessToken });
    expect(search.status).toBe(200);
    expect(search.body).toEqual([expect.objectContaining({ id: member.id, email: `${member.login}@example.test`, suspendedAt: null })]);
    const suspend = await call(`${admin}/users/${member.id}/suspension`, {
      method: 'POST',
      token: ok.body.accessToken,
      body: { reason: 'no' },
    });
    expect(suspend.status).toBe(403);
    expect(suspend.body.code).toBe('FORBIDDEN');
  });

  it('should ask for the second factor again once it is stale, and open actions after it', async () => {
    const stale = await issueStaffToken(platform.keys.staff, {
      userId: adminUser.id,
      permissions: ['users:read', 'users:suspend', 'roles:read', 'roles:manage', 'staff:manage', 'audit:read'],
      mfaAt: Math.floor(Date.now() / 1000) - 16 * 60,
    });
    const refused = await call(`${admin}/roles`, { token: stale });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('STAFF_MFA_REQUIRED');
    const confirmed = await call(`${admin}/sessions/mfa`, { method: 'POST', token: stale, body: { totpCode: nextStep(adminSecret) } });
    expect(confirmed.status).toBe(201);
    expect((await call(`${admin}/roles`, { token: confirmed.body.accessToken })).status).toBe(200);
  });

  it('should manage custom roles and keep built-in ones fixed', async () => {
    const created = await call(`${admin}/roles`, {
      method: 'POST',
      token: adminToken,
      body: {
        input: { name: 'chat-support', description: 'Helps with chat', permissions: ['users:read', 'chat:moderate'] },
        reason: 'new team',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      name: 'chat-support',
      description: 'Helps with chat',
      permissions: ['chat:moderate', 'users:read'],
      builtIn: false,
    });
    const unknown = await call(`${admin}/roles`, {
      method: 'POST',
      token: adminToken,
      body: { input: { name: 'bad-role', permissions: ['root'] } },
    });
    expect(unknown.status).toBe(400);

    const patched = await call(`${admin}/roles/chat-support`, {
      method: 'PATCH',
      token: adminToken,
      body: { patch: { permissions: ['chat:moderate'] } },
    });
    expect(patched.body.permissions).toEqual(['chat:moderate']);
    const builtIn = await call(`${admin}/roles/admin`, {
      method: 'PATCH',
      token: adminToken,
      body: { patch: { permissions: ['users:read'] } },
    });
    expect(builtIn.status).toBe(409);
    expect(builtIn.body.code).toBe('STAFF_ROLE_BUILT_IN');

    const member = await signUpAndLogIn(privateApi, 'chatsup');
    await call(`${admin}/staff`, { method: 'POST', token: adminToken, body: { userId: member.id, roles: ['support'] } });
    const granted = await call(`${admin}/staff/${member.id}/roles/chat-support?reason=promoted`, { method: 'PUT', token: adminToken });
    expect(granted.body).toMatchObject({ roles: ['chat-support', 'support'], permissions: ['chat:moderate', 'users:read'] });
    const inUse = await call(`${admin}/roles/chat-support`, { method: 'DELETE', token: adminToken });
    expect(inUse.status).toBe(409);
    await call(`${admin}/staff/${member.id}/roles/chat-support`, { method: 'DELETE', token: adminToken });
    expect((await call(`${admin}/roles/chat-support?reason=unused`, { method: 'DELETE', token: adminToken })).status).toBe(200);
  });

  it("should end a suspended user's sessions, tokens and realtime sockets within a second, and log who did it", async () => {
    const victim = await signUpAndLogIn(privateApi, 'victim');
    const session = (await call(`${privateApi}/sessions`, { method: 'POST', body: { login: victim.login, password } })).body;
    const appTokens = await userTokens(platform.issuer, app, victim.token, 'user:read:email');
    const publicMe = () => call(`${platform.publicApi}/users?login=${victim.login}`, { token: appTokens.access_token });
    expect((await call(`${privateApi}/me`, { token: victim.token })).status).toBe(200);
    expect((await publicMe()).status).toBe(200);
    const watching = await RawGraphQLWsClient.connect(platform.rt.wsUrl, { authorization: `Bearer ${victim.token}` });

    const suspended = await call(`${admin}/users/${victim.id}/suspension`, { method: 'POST', token: adminToken, body: { reason: 'spam' } });
    expect(suspended.status).toBe(200);
    expect(suspended.body.suspendedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const at = Date.now();
    await eventually(async () => (await call(`${privateApi}/me`, { token: victim.token })).status === 401, 1_000);
    await eventually(async () => (await publicMe()).status === 401, 1_000);
    expect((await watching.waitForClose(1_000)).code).toBe(4403);
    expect(Date.now() - at).toBeLessThan(1_000);
    const reconnect = await RawGraphQLWsClient.open(platform.rt.wsUrl);
    reconnect.send({ type: 'connection_init', payload: { authorization: `Bearer ${victim.token}` } });
    expect((await reconnect.waitForClose()).code).toBe(4403);
    const refreshed = await tokenRequest(platform.issuer, '/oauth/token', app, {
      grant_type: 'refresh_token',
      refresh_token: appTokens.refresh_token!,
    });
    expect(refreshed.status).toBe(400);
    expect((await call(`${privateApi}/me`, { token: session.accessToken })).status).toBe(401);
    expect((await call(`${privateApi}/sessions/refresh`, { method: 'POST', body: { refreshToken: session.refreshToken } })).status).toBe(
      401,
    );
    const login = await call(`${privateApi}/sessions`, { method: 'POST', body: { login: victim.login, password } });
    expect(login.status).toBe(403);
    expect(login.body.code).toBe('USER_SUSPENDED');

    const log = await call(`${admin}/audit-log?targetId=${victim.id}&action=user.suspended`, { token: adminToken });
    expect(log.status).toBe(200);
    expect(log.body.data).toEqual([
      expect.objectContaining({
        actor: { id: adminUser.id, login: adminUser.login },
        action: 'user.suspended',
        targetType: 'user',
        targetId: victim.id,
        reason: 'spam',
        requestId: suspended.headers.get('x-request-id'),
      }),
    ]);

    const reinstated = await call(`${admin}/users/${victim.id}/suspension?reason=appeal%20granted`, {
      method: 'DELETE',
      token: adminToken,
    });
    expect(reinstated.body.suspendedAt).toBeNull();
    const again = await call(`${privateApi}/sessions`, { method: 'POST', body: { login: victim.login, password } });
    expect(again.status).toBe(201);
    expect((await call(`${privateApi}/me`, { token: again.body.accessToken })).status).toBe(200);
    expect((await call(`${privateApi}/me`, { token: victim.token })).status).toBe(401);
  });

  it('should page the audit log newest first and never let anyone change it', async () => {
    const first = await call(`${admin}/audit-log?first=2`, { token: adminToken });
    expect(first.body.data).toHaveLength(2);
    expect(first.body.total).toBeGreaterThan(2);
    const second = await call(`${admin}/audit-log?first=2&after=${first.body.pagination.cursor}`, { token: adminToken });
    const ids = [...first.body.data, ...second.body.data].map((r: { id: string }) => r.id);
    expect(new Set(ids).size).toBe(4);
    const times = [...first.body.data, ...second.body.data].map((r: { at: string }) => r.at);
    expect([...times].sort().reverse()).toEqual(times);

    expect((await call(`${admin}/audit-log`, { method: 'DELETE', token: adminToken })).status).toBe(405);
    const db = new Client({ connectionString: platform.databaseUrl });
    await db.connect();
    try {
      await expect(db.query(`UPDATE "user".audit_record SET reason = 'rewritten'`)).rejects.toThrow(/append-only/);
      await expect(db.query(`DELETE FROM "user".audit_record`)).rejects.toThrow(/append-only/);
    } finally {
      await db.end();
    }
  });

  it('should manage the category catalogue, audited, and move channels over to it without changing the v1 routes', async () => {
    const streamer = await signUpAndLogIn(privateApi, 'gamer');
    const channelId = await eventually(
      async () => (await call(`${privateApi}/users/${streamer.login}`)).body.channel?.id as string | undefined,
    );
    const name = `Speedruns ${streamer.id.slice(0, 6)}`;
    const before = await call(`${privateApi}/channels/${channelId}`, {
      method: 'PATCH',
      token: streamer.token,
      body: { category: name.toLowerCase() },
    });
    expect(before.status).toBe(200);
    const unlinked = (await call(`${privateApi}/users/${streamer.login}`)).body.channel;

    const created = await call(`${admin}/categories`, {
      method: 'POST',
      token: adminToken,
      body: { name, boxArtUrl: 'https://images.example.test/speedruns.jpg', reason: 'new game' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, slug: `speedruns-${streamer.id.slice(0, 6)}` });
    const taken = await call(`${admin}/categories`, {
      method: 'POST',
      token: adminToken,
      body: { name: 'Other', slug: created.body.slug, boxArtUrl: 'https://images.example.test/o.jpg' },
    });
    expect(taken).toMatchObject({ status: 409, body: { code: 'PTFM_CATEGORY_SLUG_TAKEN' } });
    const listed = await call(`${admin}/categories?first=100`, { token: adminToken });
    expect(listed.body.data.map((c: { id: string }) => c.id)).toContain(created.body.id);

    const db = new Client({ connectionString: platform.databaseUrl });
    await db.connect();
    try {
      // chnl-provision-wkr copies the catalogue from Kafka and links the channel whose free text names the entry.
      const linked = () => db.query('SELECT category, category_id FROM chnl.channel WHERE id = $1', [channelId]).then((r) => r.rows[0]);
      await eventually(async () => ((await linked()).category_id === created.body.id ? true : undefined));
      expect((await linked()).category).toBe(name.toLowerCase());
      // A v1 client sees the channel as before: the same fields, the category as it wrote it.
      const { updatedAt: _at, ...linkedChannel } = (await call(`${privateApi}/users/${streamer.login}`)).body.channel;
      const { updatedAt: _before, ...unlinkedChannel } = unlinked;
      expect(linkedChannel).toEqual(unlinkedChannel);

      const renamed = await call(`${admin}/categories/${created.body.id}`, {
        method: 'PATCH',
        token: adminToken,
        body: { name: `${name} Any%` },
      });
      expect(renamed).toMatchObject({ status: 200, body: { id: created.body.id, name: `${name} Any%` } });
      await eventually(async () =>
        (await call(`${privateApi}/users/${streamer.login}`)).body.channel.category === `${name} Any%` ? true : undefined,
      );
      // Through the graph, the channel's category is the catalogue's entry, resolved by ptfm.
      const graph = await call(`${platform.router.url}/graphql`, {
        method: 'POST',
        token: adminToken,
        body: { query: `{ channel(id: "${channelId}") { category categoryRef { id name slug boxArtUrl } } }` },
      });
      expect(graph.body.data.channel).toEqual({
        category: `${name} Any%`,
        categoryRef: { id: created.body.id, name: `${name} Any%`, slug: created.body.slug, boxArtUrl: created.body.boxArtUrl },
      });
      const missing = await call(`${admin}/categories/${streamer.id}`, { method: 'PATCH', token: adminToken, body: { name: 'x' } });
      expect(missing).toMatchObject({ status: 404, body: { code: 'PTFM_CATEGORY_NOT_FOUND' } });

      const audit = await db.query('SELECT actor_id, action, reason FROM ptfm.audit_record WHERE target_id = $1 ORDER BY at', [
        created.body.id,
      ]);
      expect(audit.rows).toEqual([
        { actor_id: adminUser.id, action: 'category.created', reason: 'new game' },
        { actor_id: adminUser.id, action: 'category.updated', reason: null },
      ]);
      // The staff audit log shows them as it shows the user domain's own actions.
      const logged = await eventually(async () => {
        const log = await call(`${admin}/audit-log?targetId=${created.body.id}`, { token: adminToken });
        return log.body.data?.length === 2 ? log.body.data : undefined;
      });
      expect(logged).toEqual([
        expect.objectContaining({ action: 'category.updated', targetType: 'category', requestId: renamed.headers.get('x-request-id') }),
        expect.objectContaining({
          actor: { id: adminUser.id, login: adminUser.login },
          action: 'category.created',
          reason: 'new game',
          requestId: created.headers.get('x-request-id'),
        }),
      ]);
      expect(JSON.parse(logged[1].details)).toMatchObject({ name, boxArtUrl: created.body.boxArtUrl });
    } finally {
      await db.end();
    }
  }, 60_000);

  it('should find a channel by its new title and a misspelt login within seconds, and no longer once its owner is suspended', async () => {
    const streamer = await signUpAndLogIn(privateApi, 'seeker');
    const channelId = await eventually(
      async () => (await call(`${privateApi}/users/${streamer.login}`)).body.channel?.id as string | undefined,
    );
    const word = `quokkaboard${streamer.id.slice(0, 6).replace(/[^a-z]/g, 'x')}`;
    const renamed = await call(`${privateApi}/channels/${channelId}`, {
      method: 'PATCH',
      token: streamer.token,
      body: { title: `${word} tonight` },
    });
    expect(renamed.status).toBe(200);
    // Two letters swapped: a typo full-text search alone would miss.
    const misspelt = `${streamer.login.slice(0, 1)}${streamer.login[2]}${streamer.login[1]}${streamer.login.slice(3)}`;
    const privateSearch = (query: string, type = 'CHANNELS') =>
      call(`${privateApi}/search?query=${encodeURIComponent(query)}&type=${type}&first=5`).then((r) => {
        expect(r.status).toBe(200);
        return r.body as { data: { id: string; __typename: string; title?: string }[]; total: number };
      });
    const renamedAt = Date.now();
    await eventually(async () => (await privateSearch(word)).data.find((c) => c.id === channelId)?.title === `${word} tonight`, 5_000);
    const foundWithin = Date.now() - renamedAt;
    await eventually(async () =>
      (await privateSearch(misspelt)).data.some((c) => c.id === channelId && c.__typename === 'ChannelSearchResult'),
    );
    expect((await privateSearch(misspelt, 'USERS')).data.map((u) => u.id)).toContain(streamer.id);

    const appToken = (await userTokens(platform.issuer, app, streamer.token, 'user:read:email')).access_token;
    const publicSearch = await call(`${platform.publicApi}/search/channels?query=${word}`, { token: appToken });
    expect(publicSearch.status).toBe(200);
    expect(publicSearch.body).toMatchObject({ total: 1, data: [{ id: channelId, login: streamer.login, live: false }] });
    expect((await call(`${platform.publicApi}/search/channels?query=${word}&live_only=true`, { token: appToken })).body.data).toEqual([]);
    expect((await call(`${platform.publicApi}/search/channels?query=${word}`)).status).toBe(401);
    expect((await call(`${privateApi}/search?query=`)).status).toBe(400);

    const suspended = await call(`${admin}/users/${streamer.id}/suspension`, {
      method: 'POST',
      token: adminToken,
      body: { reason: 'spam' },
    });
    expect(suspended.status).toBe(200);
    const suspendedAt = Date.now();
    await eventually(async () => (await privateSearch(word)).data.every((c) => c.id !== channelId), 5_000);
    const goneWithin = Date.now() - suspendedAt;
    expect((await privateSearch(misspelt, 'USERS')).data.map((u) => u.id)).not.toContain(streamer.id);
    console.info(`search: renamed channel found within ${foundWithin} ms, suspended owner's channel gone within ${goneWithin} ms`);
  });

  it("should give the next channel's chat room the new default slow mode, leave existing rooms as they are, and audit it", async () => {
    const settingsOf = (channelId: string) => call(`${privateApi}/channels/${channelId}/chat/settings`);
    const roomOf = async (login: string) => {
      const channelId = await eventually(async () => (await call(`${privateApi}/users/${login}`)).body.channel?.id as string | undefined);
      const settings = await eventually(async () => {
        const answer = await settingsOf(channelId);
        return answer.status === 200 ? answer.body : undefined;
      });
      return { channelId, settings };
    };
    const existing = await roomOf((await signUpAndLogIn(privateApi, 'oldroom')).login);
    expect(existing.settings.slowModeSeconds).toBeNull();

    const changed = await call(`${admin}/defaults`, {
      method: 'PATCH',
      token: adminToken,
      body: { chat: { slowModeSeconds: 45 }, login: { accountLockSeconds: 900 }, reason: 'raid season' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ chat: { slowModeSeconds: 45, emoteOnly: false, blockedTerms: [] } });
    expect((await call(`${admin}/defaults`, { token: adminToken })).body).toEqual(changed.body);
    const db = new Client({ connectionString: platform.databaseUrl });
    await db.connect();
    try {
      // The chat and user domains apply the defaults from Kafka; a channel created before that still gets the old ones.
      await eventually(async () => {
        const { rows } = await db.query(
          'SELECT (SELECT version FROM chat.platform_defaults) AS chat, (SELECT account_lock_seconds FROM "user".login_defaults WHERE version = $1) AS lock',
          [changed.body.version],
        );
        return rows[0].chat === changed.body.version && rows[0].lock === 900;
      });
    } finally {
      await db.end();
    }
    const next = await roomOf((await signUpAndLogIn(privateApi, 'newroom')).login);
    expect(next.settings.slowModeSeconds).toBe(45);
    expect((await settingsOf(existing.channelId)).body.slowModeSeconds).toBeNull();

    const logged = await eventually(async () => {
      const log = await call(`${admin}/audit-log?action=defaults.updated&actorId=${adminUser.id}`, { token: adminToken });
      return log.body.data?.find((r: { requestId: string }) => r.requestId === changed.headers.get('x-request-id'));
    });
    expect(logged).toMatchObject({ targetType: 'defaults', targetId: 'platform', reason: 'raid season' });
    expect(JSON.parse(logged.details)).toEqual({
      version: changed.body.version,
      chat: { slowModeSeconds: { from: null, to: 45 } },
      login: { accountLockSeconds: { from: null, to: 900 } },
    });

    const reset = await call(`${admin}/defaults`, {
      method: 'PATCH',
      token: adminToken,
      body: { chat: { slowModeSeconds: null }, login: { accountLockSeconds: null } },
    });
    expect(reset.body).toMatchObject({ chat: { slowModeSeconds: null }, login: { accountLockSeconds: null } });
  });

  it('should open the explorer (queries of their own, introspection included) to admins only', async () => {
    const graphql = `${platform.router.url}/graphql`;
    const ask = (token: string | undefined, query: string) => call(graphql, { method: 'POST', token, body: { query } });
    const introspect = '{ __schema { queryType { name } } }';

    const explored = await ask(adminToken, introspect);
    expect(explored.status).toBe(200);
    expect(explored.body.data.__schema.queryType.name).toBe('Query');
    expect((await ask(adminToken, `{ user(login: "${adminUser.login}") { id } }`)).body.data.user.id).toBe(adminUser.id);
    const mutation = await ask(adminToken, `mutation { suspendUser(userId: "${adminUser.id}", reason: "x") { id } }`);
    expect([mutation.status, mutation.body.errors[0].extensions.code]).toEqual([400, 'BAD_REQUEST']);

    // Every query run from the explorer is in the audit log: who, the document, its variables.
    const withVariables = await call(graphql, {
      method: 'POST',
      token: adminToken,
      body: {
        query: 'query Who($login: String!) { user(login: $login) { id } }',
        operationName: 'Who',
        variables: { login: adminUser.login },
      },
    });
    expect(withVariables.body.data.user.id).toBe(adminUser.id);
    const log = await call(`${admin}/audit-log?action=graph.explored&actorId=${adminUser.id}`, { token: adminToken });
    expect(log.status).toBe(200);
    const documents = log.body.data.map((record: { details: string }) => JSON.parse(record.details));
    expect(documents).toContainEqual({ document: introspect, operationName: null, variables: '{}' });
    expect(documents).toContainEqual({
      document: 'query Who($login: String!) { user(login: $login) { id } }',
      operationName: 'Who',
      variables: JSON.stringify({ login: adminUser.login }),
    });
    expect(documents.map((d: { document: string }) => d.document)).not.toContain(
      `mutation { suspendUser(userId: "${adminUser.id}", reason: "x") { id } }`,
    );

    const user = await signUpAndLogIn(privateApi, 'curious');
    for (const token of [undefined, user.token]) {
      const refused = await ask(token, introspect);
      expect([refused.status, refused.body.errors[0].extensions.code]).toEqual([400, 'OPERATION_NOT_PERSISTED']);
    }
    const stale = await issueStaffToken(platform.keys.staff, {
      userId: adminUser.id,
      permissions: ['graph:explore'],
      mfaAt: Math.floor(Date.now() / 1000) - 3600,
    });
    expect((await ask(stale, introspect)).body.errors[0].extensions.code).toBe('STAFF_MFA_REQUIRED');
    const unprivileged = await issueStaffToken(platform.keys.staff, {
      userId: adminUser.id,
      permissions: ['users:read'],
      mfaAt: Math.floor(Date.now() / 1000),
    });
    expect((await ask(unprivileged, introspect)).status).toBe(403);
  });

  describe('function-level authorization: every Admin route refuses whoever may not use it', () => {
    const document = JSON.parse(readFileSync(fromRoot('contracts', 'openapi', 'admin.v1.json'), 'utf8'));
    const routes = Object.entries(document.paths as Record<string, Record<string, { operationId?: string }>>).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, operation]) => ({ path, method: method.toUpperCase(), operationId: operation.operationId! }))
        // Logging in is open to anyone; its own test below.
        .filter((route) => route.operationId !== 'AdminLogIn'),
    );
    const bodies: Record<string, unknown> = {
      ConfirmStaffMfa: { totpCode: '123456' },
      SuspendUser: { reason: 'matrix' },
      CreateStaffRole: { input: { name: 'matrix-role', permissions: ['users:read'] } },
      UpdateStaffRole: { patch: { permissions: ['users:read', 'users:suspend'] } },
      AddStaffMember: { roles: ['admin'] },
      CreateCategory: { name: 'Matrix', slug: 'matrix-category', boxArtUrl: 'https://images.example.test/matrix.jpg' },
      UpdateCategory: { name: 'Matrix' },
      UpdatePlatformDefaults: { chat: { uniqueChat: true } },
      AssignTrustCase: {},
      ResolveTrustCase: { resolution: 'dismissed' },
    };
    let target: Awaited<ReturnType<typeof signUpAndLogIn>>;
    let callers: Record<string, string | undefined>;
    let withoutPayments: string;

    beforeAll(async () => {
      target = await signUpAndLogIn(privateApi, 'target');
      await call(`${admin}/roles`, {
        method: 'POST',
        token: adminToken,
        body: { input: { name: 'payments-only', permissions: ['payments:read'] } },
      });
      const member = await signUpAndLogIn(privateApi, 'pat');
      const added = await call(`${admin}/staff`, {
        method: 'POST',
        token: adminToken,
        body: { userId: member.id, roles: ['payments-only'] },
      });
      const unprivileged = await adminLogIn(member.login, totpCode(added.body.totpSecret));
      expect(unprivileged.body.permissions).toEqual(['payments:read']);
      const appToken = await tokenRequest(platform.issuer, '/oauth/token', app, { grant_type: 'client_credentials' });
      expect(appToken.status).toBe(200);
      callers = {
        anonymous: undefined,
        user: target.token,
        'OAuth app for a user': (await userTokens(platform.issuer, app, target.token, 'user:read:email moderator:manage:banned_users'))
          .access_token,
        'OAuth app token': appToken.body.access_token,
        'staff without the permission': unprivileged.body.accessToken,
        'staff without a fresh second factor': await issueStaffToken(platform.keys.staff, {
          userId: adminUser.id,
          permissions: ['users:read', 'users:suspend', 'roles:read', 'roles:manage', 'staff:manage', 'audit:read', 'payments:read'],
          mfaAt: Math.floor(Date.now() / 1000) - 3600,
        }),
      };
      withoutPayments = await issueStaffToken(platform.keys.staff, {
        userId: adminUser.id,
        permissions: ['users:read', 'users:suspend', 'roles:read', 'roles:manage', 'staff:manage', 'audit:read', 'chat:moderate'],
        mfaAt: Math.floor(Date.now() / 1000),
      });
    });

    /** The routes the payments-only staff member may use: another staff member lacks the permission there. */
    const PAYMENTS_ROUTES = ['ListPayouts'];

    const request = (route: (typeof routes)[number]) => {
      const path = route.path
        .replace('{userId}', target.id)
        .replace('{roleName}', 'payments-only')
        .replace('{categoryId}', target.id)
        .replace('{caseId}', target.id);
      const query =
        route.operationId === 'SearchUsers' ? `?query=${target.login}` : route.operationId === 'UnsuspendUser' ? '?reason=matrix' : '';
      const body = route.operationId === 'AddStaffMember' ? { userId: target.id, roles: ['admin'] } : bodies[route.operationId];
      return { url: `${admin}${path}${query}`, method: route.method, body };
    };

    it.each(routes.map((r) => [r.operationId, r] as const))('%s', async (operationId, route) => {
      const staffWithout = PAYMENTS_ROUTES.includes(operationId) ? withoutPayments : callers['staff without the permission'];
      for (const [who, token] of Object.entries({ ...callers, 'staff without the permission': staffWithout })) {
        // Confirming the second factor is what a stale or unprivileged staff token is for: refused only to callers
        // holding no staff token.
        if (operationId === 'ConfirmStaffMfa' && who.startsWith('staff')) continue;
        // The catalogue is no secret: every staff member reads it, only managing it needs a permission.
        if (operationId === 'ListCategories' && who.startsWith('staff')) continue;
        const { url, method, body } = request(route);
        const answer = await call(url, { method, token, body });
        expect({ who, refused: answer.status === 401 || answer.status === 403 }).toEqual({ who, refused: true });
      }
      const suspended = await call(`${admin}/users?query=${target.id}`, { token: adminToken });
      expect(suspended.body[0].suspendedAt).toBeNull();
      const roles = await call(`${admin}/roles`, { token: adminToken });
      expect(roles.body.map((r: { name: string }) => r.name)).not.toContain('matrix-role');
      const categories = await call(`${admin}/categories?first=100`, { token: adminToken });
      expect(categories.body.data.map((c: { slug: string }) => c.slug)).not.toContain('matrix-category');
    });

    it('AdminLogIn refuses user tokens as credentials and needs the staff factors', async () => {
      const answer = await call(`${admin}/sessions`, {
        method: 'POST',
        token: target.token,
        body: { login: target.login, password, totpCode: '123456' },
      });
      expect(answer.status).toBe(401);
    });
  });
});
