import { randomUUID } from 'node:crypto';
import type { EventBus } from '../../kernel/bus/port';
import { parseEvent } from '../../kernel/events';
import { kafkaBusForTests } from '../support/kafka';
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

  it('should refuse a taken login or email with 409 and bad fields with 400', async () => {
    const { login } = await signUpAndLogIn(api, 'taken');
    const again = await call(`${api}/users`, {
      method: 'POST',
      body: { login, email: `${randomUUID()}@example.test`, password: 'long-enough' },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('USER_LOGIN_TAKEN');
    expect(again.headers.get('content-type')).toContain('application/problem+json');

    const sameEmail = await call(`${api}/users`, {
      method: 'POST',
      body: { login: uniqueLogin('other'), email: `${login}@example.test`, password: 'long-enough' },
    });
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body.code).toBe('USER_EMAIL_TAKEN');
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
