import { randomUUID } from 'node:crypto';
import type { EventBus } from '../../kernel/bus/port';
import { parseEvent } from '../../kernel/events';
import { kafkaBusForTests } from '../support/kafka';
import { awaitMailsTo, verificationToken } from '../support/mail';
import { eventually } from '../support/eventually';
import { call, signUpAndLogIn, startTestPlatform, uniqueLogin, type TestPlatform } from '../support/platform';

/**
 * The spine, end to end, through the REST facade only, with the real chain behind it: router, both subgraphs,
 * PostgreSQL, the outbox relays, Kafka and the provisioning worker.
 */
describe('Private API v1 over Kafka', () => {
  let platform: TestPlatform;
  let api: string;
  let bus: EventBus;

  beforeAll(async () => {
    bus = await kafkaBusForTests('e2e');
    platform = await startTestPlatform(bus);
    api = platform.api;
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const channelOf = async (token: string) =>
    eventually(async () => {
      const me = await call(`${api}/me`, { token });
      return me.status === 200 && me.body.channel ? me.body : undefined;
    }, 30_000);

  it('should sign up, log in and show the channel the worker provisioned', async () => {
    const login = uniqueLogin('spine');
    const signUp = await call(`${api}/users`, {
      method: 'POST',
      body: { login, email: `${login}@Example.test`, password: 'long-enough', displayName: 'Spine' },
    });
    expect(signUp.status).toBe(201);
    expect(signUp.body).toMatchObject({ login, displayName: 'Spine', email: `${login}@example.test` });
    expect(signUp.body).not.toHaveProperty('passwordHash');

    const session = await call(`${api}/sessions`, { method: 'POST', body: { login, password: 'long-enough' } });
    expect(session.status).toBe(201);
    expect(session.body).toMatchObject({ tokenType: 'bearer', expiresIn: 900, user: { login } });
    expect(typeof session.body.refreshToken).toBe('string');

    const me = await channelOf(session.body.accessToken);
    expect(me).toMatchObject({ id: signUp.body.id, login, email: `${login}@example.test` });
    expect(me.channel).toMatchObject({ title: "Spine's stream", followerCount: 0, language: 'en' });
  });

  it('should refuse a taken login with 409 and bad fields with 400', async () => {
    const { login } = await signUpAndLogIn(api, 'taken');
    const again = await call(`${api}/users`, {
      method: 'POST',
      body: { login, email: `${randomUUID()}@example.test`, password: 'long-enough' },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('USER_LOGIN_TAKEN');
    expect(again.headers.get('content-type')).toContain('application/problem+json');
  });

  describe('email addresses', () => {
    const signUp = (login: string, email: string) =>
      call(`${api}/users`, { method: 'POST', body: { login, email, password: 'long-enough' } });
    const verify = (token: string) => call(`${api}/email-verifications`, { method: 'POST', body: { token } });
    const shape = (body: Record<string, unknown>) => ({
      ...body,
      id: typeof body.id,
      login: typeof body.login,
      displayName: typeof body.displayName,
      createdAt: typeof body.createdAt,
    });

    it('should mail a link that verifies the address once', async () => {
      const login = uniqueLogin('verify');
      const email = `${login}@example.test`;
      const created = await signUp(login, email);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ login, email, emailVerified: false });
      // Unverified, the account is limited: a 403 problem naming why.
      const early = await call(`${api}/sessions`, { method: 'POST', body: { login, password: 'long-enough' } });
      const app = { name: 'Early app', redirectUris: ['https://a.example/cb'], clientType: 'public' };
      const refused = await call(`${api}/developer/apps`, { method: 'POST', token: early.body.accessToken, body: app });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('USER_EMAIL_NOT_VERIFIED');
      expect(refused.headers.get('content-type')).toContain('application/problem+json');

      const [mail] = await awaitMailsTo(platform.mailDir, email);
      expect(mail.subject).toBe('Verify your email address');
      const token = verificationToken(mail);
      const verified = await verify(token);
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ id: created.body.id, emailVerified: true });
      const spent = await verify(token);
      expect(spent.status).toBe(400);
      expect(spent.body.code).toBe('USER_INVALID_VERIFICATION_TOKEN');

      const session = await call(`${api}/sessions`, { method: 'POST', body: { login, password: 'long-enough' } });
      expect((await call(`${api}/me`, { token: session.body.accessToken })).body.emailVerified).toBe(true);
      const resent = await call(`${api}/me/email-verifications`, { method: 'POST', token: session.body.accessToken });
      expect(resent.status).toBe(409);
      expect(resent.body.code).toBe('USER_EMAIL_ALREADY_VERIFIED');
    });

    it('should answer a sign-up with a taken address exactly like one with a free address, and tell only the address by mail', async () => {
      const owner = uniqueLogin('owner');
      const email = `${owner}@example.test`;
      await signUp(owner, email);
      expect((await verify(verificationToken((await awaitMailsTo(platform.mailDir, email))[0]))).status).toBe(200);

      const fresh = uniqueLogin('fresh');
      const free = await signUp(fresh, `${fresh}@example.test`);
      const taken = await signUp(uniqueLogin('copycat'), email.toUpperCase());
      expect(taken.status).toBe(free.status);
      expect(shape(taken.body)).toEqual({ ...shape(free.body), email });

      const [, notice] = await awaitMailsTo(platform.mailDir, email, 2);
      expect(notice.subject).toBe('You already have an account');
      expect(notice.text).toContain(owner);
      expect(notice.text).not.toContain('#token=');
    });

    it('should give an address to the first of two unverified accounts to verify it', async () => {
      const first = uniqueLogin('first');
      const email = `${first}@example.test`;
      await signUp(first, email);
      const second = uniqueLogin('second');
      await signUp(second, email);
      const [firstLink, secondLink] = (await awaitMailsTo(platform.mailDir, email, 2)).map(verificationToken);
      expect((await verify(firstLink)).status).toBe(200);
      const refused = await verify(secondLink);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('USER_EMAIL_TAKEN');
    });

    it('should send a signed-in account a new link, and no one else', async () => {
      const { login, token } = await signUpAndLogIn(api, 'resend', { verified: false });
      const email = `${login}@example.test`;
      await awaitMailsTo(platform.mailDir, email);
      const resent = await call(`${api}/me/email-verifications`, { method: 'POST', token });
      expect(resent.status).toBe(202);
      expect(resent.body).toEqual({ sent: true });
      const [, latest] = await awaitMailsTo(platform.mailDir, email, 2);
      expect((await verify(verificationToken(latest))).status).toBe(200);
      expect((await call(`${api}/me/email-verifications`, { method: 'POST' })).status).toBe(401);
    });
  });

  it('should answer a wrong password and an unknown login the same way', async () => {
    const { login } = await signUpAndLogIn(api, 'creds');
    const wrong = await call(`${api}/sessions`, { method: 'POST', body: { login, password: 'not-the-password' } });
    const unknown = await call(`${api}/sessions`, { method: 'POST', body: { login: uniqueLogin('nobody'), password: 'not-the-password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect({ ...wrong.body, requestId: undefined, instance: undefined }).toEqual({
      ...unknown.body,
      requestId: undefined,
      instance: undefined,
    });
  });

  it('should let only the owner update a channel', async () => {
    const owner = await signUpAndLogIn(api, 'owner');
    const other = await signUpAndLogIn(api, 'other');
    const { channel } = await channelOf(owner.token);

    const patch = { title: 'Speedrunning all day', category: 'Just Chatting', language: 'de', tags: ['speedrun', 'chill'] };
    const updated = await call(`${api}/channels/${channel.id}`, { method: 'PATCH', token: owner.token, body: patch });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ ...patch, owner: { id: owner.id, login: owner.login } });

    const forbidden = await call(`${api}/channels/${channel.id}`, { method: 'PATCH', token: other.token, body: { title: 'mine now' } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('CHNL_NOT_OWNER');
    expect((await channelOf(owner.token)).channel.title).toBe('Speedrunning all day');
  });

  it('should follow and unfollow idempotently and page through followers', async () => {
    const streamer = await signUpAndLogIn(api, 'streamer');
    const { channel } = await channelOf(streamer.token);
    const followEvents: string[] = [];
    await bus.ensureTopics(['chnl.follow.created.v1']);
    const subscription = await bus.subscribe({
      groupId: `e2e-follows-${randomUUID()}`,
      topics: ['chnl.follow.created.v1'],
      fromBeginning: true,
      handle: async (message) => {
        const event = parseEvent('chnl.follow.created.v1', message.value);
        if (event.data.channelId === channel.id) followEvents.push(event.data.userId);
      },
    });
    const fans = await Promise.all([1, 2, 3, 4, 5].map(() => signUpAndLogIn(api, 'fan')));

    for (const fan of fans) {
      for (let i = 0; i < 2; i += 1) {
        const follow = await call(`${api}/channels/${channel.id}/follow`, { method: 'PUT', token: fan.token });
        expect(follow.status).toBe(200);
        expect(follow.body).toMatchObject({ followedByViewer: true });
      }
    }
    const profile = await call(`${api}/users/${streamer.login}`, { token: fans[0].token });
    expect(profile.body.channel).toMatchObject({ followerCount: 5, followedByViewer: true });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(`${api}/channels/${channel.id}/followers?first=2${cursor ? `&after=${cursor}` : ''}`, {
        token: streamer.token,
      });
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(5);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((f: { user: { login: string } }) => f.user.login));
      cursor = page.body.pagination?.cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(fans.map((f) => f.login).sort());

    for (let i = 0; i < 2; i += 1) {
      const unfollow = await call(`${api}/channels/${channel.id}/follow`, { method: 'DELETE', token: fans[0].token });
      expect(unfollow.status).toBe(200);
      expect(unfollow.body).toMatchObject({ followerCount: 4, followedByViewer: false });
    }

    const self = await call(`${api}/channels/${channel.id}/follow`, { method: 'PUT', token: streamer.token });
    expect(self.status).toBe(422);

    await eventually(async () => followEvents.length >= 5);
    await subscription.stop();
    expect(followEvents.sort()).toEqual(fans.map((f) => f.id).sort());
  });

  it('should show a public profile without the email, and 404 for an unknown login', async () => {
    const user = await signUpAndLogIn(api, 'public');
    await channelOf(user.token);
    const profile = await call(`${api}/users/${user.login}`);
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ login: user.login, channel: { followerCount: 0 } });
    expect(JSON.stringify(profile.body)).not.toContain('@example.test');

    const missing = await call(`${api}/users/${uniqueLogin('ghost')}`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('USER_NOT_FOUND');
  });
});
