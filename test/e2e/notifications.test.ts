import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { EventBus } from '../../kernel/bus/port';
import { readManifest } from '../../kernel/persisted';
import { signMuxWebhook } from '../../subgraphs/live/src/providers/mux';
import { eventually } from '../support/eventually';
import { RawGraphQLWsClient } from '../support/graphql-ws';
import { kafkaBusForTests } from '../support/kafka';
import { call, signUpAndLogIn, startTestPlatform, type TestPlatform } from '../support/platform';

const SECRET = 'e2e-mux-webhook-secret-notify-0123';
const operations = new Map(readManifest('realtime.v1').operations.map((op) => [op.name, op.id]));

/**
 * Go-live notifications end to end on Kafka: a signed provider webhook makes a channel live, the ptfm fan-out writes
 * its followers' inboxes and rt-gtw pushes the notification and the stream's status to the sockets connected.
 */
describe('Go-live notifications over the Private API and the realtime API on Kafka', () => {
  let platform: TestPlatform;
  let bus: EventBus;
  let db: Pool;
  let api: string;
  const sockets: RawGraphQLWsClient[] = [];

  beforeAll(async () => {
    bus = await kafkaBusForTests('notify-e2e');
    platform = await startTestPlatform(bus, { LIVE_MUX_WEBHOOK_SECRET: SECRET, LIVE_RECONNECT_WINDOW_SECONDS: '60' });
    api = platform.api;
    db = new Pool({ connectionString: platform.databaseUrl, max: 2 });
  }, 120_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await db?.end();
    await platform?.stop();
  });

  const count = async (sql: string, ...params: unknown[]) => Number((await db.query(sql, params)).rows[0].n);

  const deliver = (type: string, inputId: string, at: Date) => {
    const body = JSON.stringify({
      type: `video.live_stream.${type}`,
      id: randomUUID(),
      created_at: at.toISOString(),
      object: { type: 'live_stream', id: inputId },
      data: { id: inputId, status: type },
    });
    return call(`${platform.facade.url}/webhooks/v1/live/mux`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'mux-signature': signMuxWebhook(SECRET, body) },
    });
  };

  it('should notify every follower once, on the socket and in the inbox, and no one who muted the channel', async () => {
    const owner = await signUpAndLogIn(api, 'star');
    const channelId = await eventually(
      async () => (await call(`${api}/me`, { token: owner.token })).body?.channel?.id as string | undefined,
      30_000,
    );
    const inputId = await eventually(async () => {
      const { rows } = await db.query('SELECT provider_input_id FROM live.live_input WHERE channel_id = $1', [channelId]);
      return rows[0]?.provider_input_id as string | undefined;
    }, 30_000);
    // One after the other: password hashing is the heaviest thing a sign-up does, and the machine is shared.
    const online = await signUpAndLogIn(api, 'online');
    const offline = await signUpAndLogIn(api, 'offline');
    const muting = await signUpAndLogIn(api, 'muting');
    for (const fan of [online, offline, muting]) {
      expect((await call(`${api}/channels/${channelId}/follow`, { method: 'PUT', token: fan.token })).status).toBe(200);
    }
    const muted = await call(`${api}/me/notification-preferences/muted-channels/${channelId}`, { method: 'PUT', token: muting.token });
    expect(muted.body).toEqual({ goLive: true, quietHours: null, mutedChannelIds: [channelId] });
    await eventually(
      async () => (await count('SELECT count(*) AS n FROM ptfm.follower WHERE channel_id = $1 AND active', channelId)) === 3,
      30_000,
      'the follows projected into ptfm',
    );

    const socket = await RawGraphQLWsClient.connect(platform.rt.wsUrl, { authorization: `Bearer ${online.token}` });
    sockets.push(socket);
    socket.subscribe('n', operations.get('Notifications') as string, {});
    socket.subscribe('s', operations.get('StreamStatus') as string, { channelId });
    const watcher = await RawGraphQLWsClient.connect(platform.rt.wsUrl);
    sockets.push(watcher);
    watcher.subscribe('n', operations.get('Notifications') as string, {});
    const refused = await watcher.waitFor((f) => f.id === 'n' && f.type === 'error');
    expect(refused.payload[0].extensions.code).toBe('UNAUTHENTICATED');

    const t0 = Date.now();
    const at = (seconds: number) => new Date(t0 + seconds * 1000);
    expect((await deliver('connected', inputId, at(0))).status).toBe(200);
    expect((await deliver('active', inputId, at(1))).status).toBe(200);

    const [pushed] = await socket.waitForFrames('n', 1, 30_000);
    const notification = pushed.payload.data.notifications;
    expect(notification).toMatchObject({
      kind: 'GO_LIVE',
      channelId,
      broadcaster: { id: owner.id, login: owner.login },
      thumbnailUrl: expect.stringMatching(/^https?:\/\/.+\/thumbnail\.jpg$/),
      read: false,
    });
    const [live] = await socket.waitForFrames('s', 1, 30_000);
    expect(live.payload.data.streamStatus).toMatchObject({ channelId, state: 'LIVE', streamId: notification.streamId });

    const inboxOf = (token: string, query = '') => call(`${api}/me/notifications${query}`, { token });
    const offlineInbox = await eventually(async () => {
      const page = await inboxOf(offline.token);
      return page.body.total === 1 ? page.body : undefined;
    }, 30_000);
    expect(offlineInbox).toMatchObject({ total: 1, unreadCount: 1, pagination: {} });
    expect(offlineInbox.data[0]).toMatchObject({
      kind: 'GO_LIVE',
      streamId: notification.streamId,
      thumbnailUrl: notification.thumbnailUrl,
      read: false,
    });
    expect((await inboxOf(online.token)).body.data.map((n: { id: string }) => n.id)).toEqual([notification.id]);

    // A drop and a reconnection within the window: the same stream, no second notification.
    expect((await deliver('disconnected', inputId, at(5))).status).toBe(200);
    await socket.waitForFrames('s', 2, 30_000);
    expect((await deliver('connected', inputId, at(10))).status).toBe(200);
    expect((await deliver('active', inputId, at(11))).status).toBe(200);
    const states = await socket.waitForFrames('s', 3, 30_000);
    expect(states.map((f) => f.payload.data.streamStatus.state)).toEqual(['LIVE', 'RECONNECTING', 'LIVE']);
    // Everything the live domain published for the channel has been through the fan-out by now.
    await eventually(
      async () => (await count('SELECT count(*) AS n FROM ptfm.fanout_job WHERE channel_id = $1 AND done_at IS NULL', channelId)) === 0,
    );
    expect(await count('SELECT count(*) AS n FROM ptfm.announcement WHERE channel_id = $1', channelId)).toBe(1);
    expect(
      await count(
        'SELECT count(*) AS n FROM ptfm.notification n JOIN ptfm.announcement a USING (stream_id) WHERE a.channel_id = $1',
        channelId,
      ),
    ).toBe(2);
    expect(socket.of('n')).toHaveLength(1);
    expect((await inboxOf(muting.token)).body).toMatchObject({ total: 0, unreadCount: 0, data: [] });

    // A reconnecting client asks for what came after the last id it saw; then marks everything read.
    expect((await inboxOf(online.token, `?newerThan=${notification.id}`)).body.data).toEqual([]);
    const read = await call(`${api}/me/notifications/read`, { method: 'POST', token: online.token, body: { upToId: notification.id } });
    expect(read.body).toEqual({ marked: 1, unreadCount: 0 });
    expect((await inboxOf(online.token)).body).toMatchObject({ unreadCount: 0, data: [{ id: notification.id, read: true }] });
    const unknown = await call(`${api}/me/notifications/read`, { method: 'POST', token: online.token, body: { upToId: randomUUID() } });
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'PTFM_NOTIFICATION_NOT_FOUND' });
    expect((await inboxOf('')).status).toBe(401);
  }, 120_000);

  it('should keep go-live off and quiet hours in the preferences, refusing what is not valid', async () => {
    const user = await signUpAndLogIn(api, 'prefs');
    const url = `${api}/me/notification-preferences`;
    expect((await call(url, { token: user.token })).body).toEqual({ goLive: true, quietHours: null, mutedChannelIds: [] });
    const quietHours = { start: '22:00', end: '07:30', timeZone: 'Europe/Paris' };
    const changed = await call(url, { method: 'PATCH', token: user.token, body: { goLive: false, quietHours } });
    expect(changed.body).toEqual({ goLive: false, quietHours, mutedChannelIds: [] });
    const badZone = await call(url, {
      method: 'PATCH',
      token: user.token,
      body: { quietHours: { ...quietHours, timeZone: 'Mars/Olympus' } },
    });
    expect({ status: badZone.status, code: badZone.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    const badTime = await call(url, { method: 'PATCH', token: user.token, body: { quietHours: { ...quietHours, start: '25:00' } } });
    expect(badTime.status).toBe(400);
    expect((await call(url, { method: 'PATCH', token: user.token, body: { quietHours: null } })).body.quietHours).toBeNull();

    const keys = { p256dh: Buffer.alloc(65, 4).toString('base64url'), auth: Buffer.alloc(16, 1).toString('base64url') };
    const endpoint = `https://push.example.test/send/${randomUUID()}`;
    const registered = await call(`${api}/me/push-subscriptions`, {
      method: 'POST',
      token: user.token,
      body: { endpoint, expirationTime: null, keys },
    });
    expect({ status: registered.status, endpoint: registered.body.endpoint }).toEqual({ status: 200, endpoint });
    const plain = await call(`${api}/me/push-subscriptions`, {
      method: 'POST',
      token: user.token,
      body: { endpoint: 'http://push.example.test/send/1', keys: { ...keys, auth: 'short' } },
    });
    expect({ status: plain.status, code: plain.body.code }).toEqual({ status: 422, code: 'PTFM_PUSH_SUBSCRIPTION_INVALID' });
  });
});
