import { randomBytes, randomUUID } from 'node:crypto';
import type { EventBus } from '../../kernel/bus/port';
import { issueAccessToken } from '../../kernel/identity';
import { createLogger } from '../../kernel/log';
import { makeEvent } from '../../kernel/events';
import { readManifest } from '../../kernel/persisted';
import { startRtGtw, type RunningRtGtw } from '../../realtime/src/app';
import { rtGtwConfigSchema } from '../../realtime/src/config';
import { SLOW_CONSUMER_CLOSE_CODE } from '../../realtime/src/connection';
import { REALTIME_API } from '../../realtime/src/operations';
import { RawGraphQLWsClient } from '../support/graphql-ws';
import { kafkaBusForTests } from '../support/kafka';
import { movableClock } from '../support/clock';
import { eventually } from '../support/eventually';
import { generateSigningKey, newKeyPair } from '../../kernel/keys';
import type { BanEntry } from '../../realtime/src/ban-snapshot';
import { NOT_READY_CLOSE_CODE } from '../../realtime/src/app';
import { fakeInternalRouter, type FakeInternalRouter } from '../support/internal-router';
import { Redis } from 'ioredis';
import { connectedUsers, presenceKey } from '../../kernel/presence';

/**
 * Two rt-gtw instances on real Kafka and Redis: events published on the bus (as the chat domain's relay does)
 * reach subscribers of both, in order; bans end the banned user's subscriptions; viewer counts add up across
 * instances; a slow consumer is dropped; protocol abuse is refused with graphql-ws's close codes.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ACCESS = newKeyPair();
/** rt-gtw's own key, for the bans it reads at start from a router played by the test. */
const SERVICE = generateSigningKey();
const logger = createLogger('rt-gtw', process.env.TEST_LOG_LEVEL ?? 'silent');
const prefix = `t${randomBytes(4).toString('hex')}:rt:`;
const operations = new Map(readManifest(REALTIME_API).operations.map((op) => [op.name, op]));
const op = (name: string) => operations.get(name)!.id;

const messageCreated = (channelId: string, text: string, senderId = randomUUID()) =>
  makeEvent('chat.message.created.v1', {
    messageId: randomUUID(),
    channelId,
    senderId,
    senderLogin: 'sender',
    senderDisplayName: 'Sender',
    text,
    replyToId: null,
    fragments: [{ type: 'text', text, emoteId: null, userId: null }],
    badges: ['vip'],
    sentAt: new Date().toISOString(),
  });

describe('rt-gtw', () => {
  /** Instance a's clock: real time, moved forward by the tests that need a timeout to end. */
  const clockOfA = movableClock();
  let bus: EventBus;
  let a: RunningRtGtw;
  let b: RunningRtGtw;
  const clients: RawGraphQLWsClient[] = [];
  const track = (client: RawGraphQLWsClient) => {
    clients.push(client);
    return client;
  };
  const connect = async (gateway: RunningRtGtw, payload?: Record<string, unknown>) =>
    track(await RawGraphQLWsClient.connect(gateway.wsUrl, payload));
  const publish = async (...events: { data: { channelId: string }; type: string }[]) => {
    await bus.publish(
      events[0].type,
      events.map((e) => ({ key: e.data.channelId, value: JSON.stringify(e) })),
    );
  };
  const tokenFor = (userId: string) => issueAccessToken(ACCESS.signing, { userId, sessionId: randomUUID() });
  let router: FakeInternalRouter;
  /** What each instance needs beside its own settings: the keys and the router it reads the bans in force from. */
  const base = () => ({
    RT_PORT: '0',
    ACCESS_TOKEN_PUBLIC_KEYS: ACCESS.publicKeys,
    SERVICE_TOKEN_SIGNING_KEY: SERVICE.signingKey,
    ROUTER_URL: router.url,
  });

  beforeAll(async () => {
    bus = await kafkaBusForTests('realtime');
    router = await fakeInternalRouter(SERVICE.publicKeys);
    const env = {
      ...base(),
      REDIS_URL,
      RT_REDIS_PREFIX: prefix,
      RT_CONNECTION_INIT_TIMEOUT_MS: '300',
      RT_MAX_BUFFERED_BYTES: '65536',
    };
    [a, b] = await Promise.all([
      startRtGtw(rtGtwConfigSchema.parse(env), bus, logger.child({ instance: 'a' }), { now: () => clockOfA.now() }),
      startRtGtw(rtGtwConfigSchema.parse(env), bus, logger.child({ instance: 'b' })),
    ]);
  }, 60_000);

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await bus?.close();
    await router?.close();
  });

  it("should deliver a room's messages, in order, to its viewers on every instance", async () => {
    const channelId = randomUUID();
    const onB = await connect(b);
    const alsoOnB = await connect(b, { authorization: `Bearer ${await tokenFor(randomUUID())}` });
    const onA = await connect(a);
    for (const client of [onB, alsoOnB, onA]) client.subscribe('m', op('ChatMessages'), { channelId });
    await eventually(async () => a.rooms.localViewerCounts().get(channelId) === 1 && b.rooms.localViewerCounts().get(channelId) === 2);

    const sent = Array.from({ length: 30 }, (_, i) => messageCreated(channelId, `message ${i}`));
    await publish(...sent);

    for (const client of [onB, alsoOnB, onA]) {
      const frames = await client.waitForFrames('m', sent.length);
      expect(frames.map((f) => f.payload.data.chatMessages.id)).toEqual(sent.map((e) => e.data.messageId));
    }
    expect(onB.of('m')[0]).toEqual({
      id: 'm',
      type: 'next',
      payload: {
        data: {
          chatMessages: {
            id: sent[0].data.messageId,
            channelId,
            sender: { id: sent[0].data.senderId, login: 'sender', displayName: 'Sender' },
            text: 'message 0',
            fragments: [{ type: 'TEXT', text: 'message 0', emoteId: null, userId: null }],
            replyToId: null,
            badges: ['VIP'],
            sentAt: sent[0].data.sentAt,
          },
        },
      },
    });
    expect(alsoOnB.of('m')).toEqual(onB.of('m'));
  });

  it('should mark a user subscribed to their notifications as present, for go-live fan-outs to write first', async () => {
    const userId = randomUUID();
    const socket = await connect(b, { authorization: `Bearer ${await tokenFor(userId)}` });
    socket.subscribe('n', op('Notifications'), {});
    const redis = new Redis(REDIS_URL);
    try {
      await eventually(async () => (await connectedUsers(redis, presenceKey(prefix))).includes(userId));
    } finally {
      await redis.quit();
    }
  });

  it('should deliver deletions, clears and mode changes to chatEvents subscribers, without moderator details', async () => {
    const channelId = randomUUID();
    const viewer = await connect(a);
    viewer.subscribe('e', op('ChatEvents'), { channelId });
    await eventually(async () => a.rooms.localViewerCounts().get(channelId) === 1);
    const moderator = randomUUID();
    const at = new Date().toISOString();
    await publish(
      makeEvent('chat.message.deleted.v1', {
        messageId: randomUUID(),
        channelId,
        senderId: randomUUID(),
        deletedBy: moderator,
        deletedAt: at,
      }),
    );
    await publish(makeEvent('chat.room.cleared.v1', { channelId, clearedBy: moderator, clearedAt: at }));
    await publish(
      makeEvent('chat.room.updated.v1', {
        channelId,
        updatedBy: moderator,
        updatedAt: at,
        modes: { slowModeSeconds: 30, followersOnlyMinutes: null, emoteOnly: false, uniqueChat: true, subscriberOnly: false },
      }),
    );
    const frames = await viewer.waitForFrames('e', 3);
    expect(frames.map((f) => f.payload.data.chatEvents.__typename).sort()).toEqual([
      'ChatMessageDeleted',
      'ChatRoomCleared',
      'ChatRoomUpdated',
    ]);
    const updated = frames.find((f) => f.payload.data.chatEvents.__typename === 'ChatRoomUpdated')!;
    expect(updated.payload.data.chatEvents).toEqual({
      __typename: 'ChatRoomUpdated',
      channelId,
      modes: { slowModeSeconds: 30, followersOnlyMinutes: null, emoteOnly: false, uniqueChat: true, subscriberOnly: false },
      updatedAt: at,
    });
    expect(JSON.stringify(frames)).not.toContain(moderator);
  });

  it('should tell a banned user, complete their subscriptions in that room before its next event, and refuse them until the timeout ends', async () => {
    const channelId = randomUUID();
    const otherRoom = randomUUID();
    const bannedId = randomUUID();
    const banned = await connect(b, { authorization: `Bearer ${await tokenFor(bannedId)}` });
    const bystander = await connect(b, { authorization: `Bearer ${await tokenFor(randomUUID())}` });
    banned.subscribe('m', op('ChatMessages'), { channelId });
    banned.subscribe('e', op('ChatEvents'), { channelId });
    banned.subscribe('other', op('ChatMessages'), { channelId: otherRoom });
    bystander.subscribe('m', op('ChatMessages'), { channelId });
    await eventually(async () => b.rooms.localViewerCounts().get(channelId) === 2 && b.rooms.localViewerCounts().get(otherRoom) === 1);

    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    await publish(
      makeEvent('chat.user.banned.v1', {
        channelId,
        userId: bannedId,
        moderatorId: randomUUID(),
        reason: 'spam',
        expiresAt,
        bannedAt: new Date().toISOString(),
      }),
    );
    const after = messageCreated(channelId, 'after the ban');
    await publish(after);

    await banned.waitFor((f) => f.id === 'm' && f.type === 'complete');
    await banned.waitFor((f) => f.id === 'e' && f.type === 'complete');
    await bystander.waitForFrames('m', 1);
    expect(banned.of('e')).toEqual([
      {
        id: 'e',
        type: 'next',
        payload: {
          data: { chatEvents: { __typename: 'ChatUserBanned', channelId, userId: bannedId, expiresAt, bannedAt: expect.any(String) } },
        },
      },
      { id: 'e', type: 'complete' },
    ]);
    expect(banned.of('m')).toEqual([{ id: 'm', type: 'complete' }]);
    expect(bystander.of('m').map((f) => f.payload.data.chatMessages.id)).toEqual([after.data.messageId]);

    banned.subscribe('again', op('ChatMessages'), { channelId });
    const refused = await banned.waitFor((f) => f.id === 'again');
    expect(refused).toEqual({
      id: 'again',
      type: 'error',
      payload: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'CHAT_BANNED' }) })],
    });

    // The ban is the room's: the user's other room goes on.
    const elsewhere = messageCreated(otherRoom, 'elsewhere');
    await publish(elsewhere);
    expect((await banned.waitForFrames('other', 1))[0].payload.data.chatMessages.id).toBe(elsewhere.data.messageId);
    expect(banned.closed).toBeUndefined();
  });

  it('should refuse a user banned before it started, read through the router as rt-gtw, on every page', async () => {
    const channelId = randomUUID();
    const bannedId = randomUUID();
    const timedOutId = randomUUID();
    const before: BanEntry[] = [
      ...Array.from({ length: 3 }, () => ({ channelId: randomUUID(), userId: randomUUID(), expiresAt: null })),
      { channelId, userId: bannedId, expiresAt: null },
      { channelId: channelId.toUpperCase(), userId: timedOutId, expiresAt: new Date(Date.now() + 60_000).toISOString() },
    ];
    router.bans.splice(0, router.bans.length, ...before);
    router.pageSize = 2;
    router.pagesServed = 0;
    const fresh = await startRtGtw(rtGtwConfigSchema.parse(base()), bus, logger.child({ instance: 'fresh' }));
    try {
      expect(router.pagesServed).toBe(3);
      for (const userId of [bannedId, timedOutId]) {
        const client = await connect(fresh, { authorization: `Bearer ${await tokenFor(userId)}` });
        client.subscribe('m', op('ChatMessages'), { channelId });
        expect((await client.waitFor((f) => f.id === 'm')).payload[0].extensions.code).toBe('CHAT_BANNED');
      }
      const bystander = await connect(fresh, { authorization: `Bearer ${await tokenFor(randomUUID())}` });
      bystander.subscribe('m', op('ChatMessages'), { channelId });
      await eventually(async () => fresh.rooms.localViewerCounts().get(channelId) === 1);
    } finally {
      await fresh.stop();
    }
  });

  it('should stay unready and refuse sockets while the router cannot list the bans, and serve once it can', async () => {
    router.failing = true;
    router.bans.splice(0, router.bans.length);
    const waiting = await startRtGtw(rtGtwConfigSchema.parse(base()), bus, logger.child({ instance: 'waiting' }));
    try {
      expect((await fetch(`${waiting.url}/readyz`)).status).toBe(503);
      const early = await RawGraphQLWsClient.open(waiting.wsUrl);
      expect((await early.waitForClose()).code).toBe(NOT_READY_CLOSE_CODE);
      router.failing = false;
      await eventually(async () => (await fetch(`${waiting.url}/readyz`)).status === 200);
      await connect(waiting);
    } finally {
      await waiting.stop();
    }
  });

  it('should let a timed-out user back once the timeout has ended', async () => {
    const channelId = randomUUID();
    const userId = randomUUID();
    const user = await connect(a, { authorization: `Bearer ${await tokenFor(userId)}` });
    const watcher = await connect(a);
    watcher.subscribe('e', op('ChatEvents'), { channelId });
    await eventually(async () => a.rooms.localViewerCounts().get(channelId) === 1);
    const expiresAt = new Date(clockOfA.now() + 10 * 60_000).toISOString();
    await publish(
      makeEvent('chat.user.banned.v1', {
        channelId,
        userId,
        moderatorId: randomUUID(),
        reason: null,
        expiresAt,
        bannedAt: new Date().toISOString(),
      }),
    );
    await watcher.waitForFrames('e', 1);

    user.subscribe('early', op('ChatMessages'), { channelId });
    const early = await user.waitFor((f) => f.id === 'early');
    expect(early.type).toBe('error');
    expect(early.payload[0].extensions.code).toBe('CHAT_BANNED');
    expect(early.payload[0].extensions.retryAfter).toBeGreaterThan(9 * 60);
    expect(early.payload[0].extensions.retryAfter).toBeLessThanOrEqual(10 * 60);
    clockOfA.advance(10 * 60_000);
    user.subscribe('later', op('ChatMessages'), { channelId });
    await eventually(async () => a.rooms.localViewerCounts().get(channelId) === 2);
    expect(user.of('later')).toEqual([]);
  });

  it("should count a room's viewers across instances and push the count only when it changed", async () => {
    const channelId = randomUUID();
    // Signed-in viewers: anonymous sockets from one address (all of the test's) count as one viewer.
    const viewer = async () => ({ authorization: `Bearer ${await tokenFor(randomUUID())}` });
    const counter = await connect(a, await viewer());
    counter.subscribe('v', op('ViewerCount'), { channelId });
    await counter.waitFor((f) => f.id === 'v' && f.payload.data.viewerCount.count === 1);

    const onB = await connect(b, await viewer());
    onB.subscribe('m', op('ChatMessages'), { channelId });
    const onBToo = await connect(b, await viewer());
    onBToo.subscribe('m', op('ChatMessages'), { channelId });
    onBToo.subscribe('e', op('ChatEvents'), { channelId });
    await counter.waitFor((f) => f.id === 'v' && f.payload.data.viewerCount.count === 3);

    onB.close();
    await counter.waitFor((f) => f.id === 'v' && f.payload.data.viewerCount.count === 2);
    const counts = counter.of('v').map((f) => f.payload.data.viewerCount.count);
    for (const [i, count] of counts.slice(1).entries()) expect(count).not.toBe(counts[i]);
    expect(counter.of('v')[0].payload.data.viewerCount).toEqual({ channelId, count: 1, at: expect.any(String) });
  });

  it('should drop a consumer that stops reading, and go on serving the rest of the room', async () => {
    const channelId = randomUUID();
    const slow = await connect(a);
    const healthy = await connect(a);
    slow.subscribe('m', op('ChatMessages'), { channelId });
    healthy.subscribe('m', op('ChatMessages'), { channelId });
    await eventually(async () => a.rooms.localViewerCounts().get(channelId) === 2);
    // Stops reading from the socket: the kernel's buffers fill, then the server's.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();

    const big = 'x'.repeat(100_000);
    // Each about 200 kB (the text twice, as itself and as its fragment), two to a batch under Kafka's 1 MB.
    const sent = Array.from({ length: 120 }, (_, i) => messageCreated(channelId, `${i} ${big}`));
    for (let i = 0; i < sent.length; i += 2) await publish(...sent.slice(i, i + 2));

    await eventually(async () => a.rooms.localViewerCounts().get(channelId) === 1);
    const frames = await healthy.waitForFrames('m', sent.length, 30_000);
    expect(frames.map((f) => f.payload.data.chatMessages.id)).toEqual(sent.map((e) => e.data.messageId));
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    // The close frame waits behind the unsent bytes, which are thrown away if the socket is destroyed first.
    expect([SLOW_CONSUMER_CLOSE_CODE, 1006]).toContain((await slow.waitForClose()).code);
  }, 60_000);

  it('should tell its clients it is going away when it stops, and withdraw its viewer counts', async () => {
    const channelId = randomUUID();
    const third = await startRtGtw(
      rtGtwConfigSchema.parse({ ...base(), REDIS_URL, RT_REDIS_PREFIX: prefix }),
      bus,
      logger.child({ instance: 'c' }),
    );
    const leaving = await connect(third);
    leaving.subscribe('m', op('ChatMessages'), { channelId });
    const counter = await connect(a);
    counter.subscribe('v', op('ViewerCount'), { channelId });
    await counter.waitFor((f) => f.id === 'v' && f.payload.data.viewerCount.count === 2);
    await third.stop();
    expect((await leaving.waitForClose()).code).toBe(1001);
    await counter.waitFor((f) => f.id === 'v' && f.payload.data.viewerCount.count === 1);
  });

  it('should close a socket with 4403 when the token it opened with expires', async () => {
    const userId = randomUUID();
    // A verifier standing in for the real ones: a session whose token has 300 ms left.
    const short = await startRtGtw(
      rtGtwConfigSchema.parse({ ...base(), REDIS_URL, RT_REDIS_PREFIX: prefix }),
      bus,
      logger.child({ instance: 'expiring' }),
      { verifyToken: async () => ({ kind: 'session', userId, emailVerified: true, requestId: randomUUID(), expiresAt: Date.now() + 300 }) },
    );
    try {
      const client = await connect(short, { authorization: 'Bearer any-token' });
      client.subscribe('m', op('ChatMessages'), { channelId: randomUUID() });
      expect(await client.waitForClose(5_000)).toEqual({ code: 4403, reason: 'token expired' });
    } finally {
      await short.stop();
    }
  });

  describe('protocol abuse', () => {
    it('should close a socket that sends no connection_init with 4408', async () => {
      const client = track(await RawGraphQLWsClient.open(a.wsUrl));
      expect((await client.waitForClose()).code).toBe(4408);
    });

    it('should close a socket that sends connection_init twice with 4429', async () => {
      const client = await connect(a);
      client.send({ type: 'connection_init' });
      expect((await client.waitForClose()).code).toBe(4429);
    });

    it('should close a socket that subscribes before the ack with 4401', async () => {
      const client = track(await RawGraphQLWsClient.open(a.wsUrl));
      client.subscribe('m', op('ChatMessages'), { channelId: randomUUID() });
      expect((await client.waitForClose()).code).toBe(4401);
    });

    it('should close a socket that sends a message that is not one with 4400', async () => {
      const client = await connect(a);
      client.send('{"type":');
      expect((await client.waitForClose()).code).toBe(4400);
      const other = await connect(a);
      other.send({ type: 'next', id: 'x', payload: {} });
      expect((await other.waitForClose()).code).toBe(4400);
    });

    it('should close a socket whose token is not valid with 4403', async () => {
      const client = track(await RawGraphQLWsClient.open(a.wsUrl));
      client.send({ type: 'connection_init', payload: { authorization: 'Bearer not.a.token' } });
      expect((await client.waitForClose()).code).toBe(4403);
      const forged = track(await RawGraphQLWsClient.open(a.wsUrl));
      const wrongSecret = await issueAccessToken(newKeyPair(ACCESS.signing.kid).signing, { userId: randomUUID(), sessionId: randomUUID() });
      forged.send({ type: 'connection_init', payload: { authorization: `Bearer ${wrongSecret}` } });
      expect((await forged.waitForClose()).code).toBe(4403);
    });

    it('should refuse more subscriptions on one socket than allowed, and close a socket that sends too large a message', async () => {
      const client = await connect(a);
      const channelId = randomUUID();
      for (let i = 0; i < 50; i += 1) client.subscribe(`s${i}`, op('ChatMessages'), { channelId });
      client.subscribe('one-too-many', op('ChatMessages'), { channelId });
      const refused = await client.waitFor((f) => f.id === 'one-too-many');
      expect(refused).toEqual({
        id: 'one-too-many',
        type: 'error',
        payload: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_REQUEST' }) })],
      });
      expect(client.frames.filter((f) => f.type === 'error')).toHaveLength(1);

      const flooding = await connect(a);
      flooding.send({ type: 'ping', payload: { junk: 'x'.repeat(20_000) } });
      expect((await flooding.waitForClose()).code).toBe(1009);
    });

    it('should close a socket that does not speak graphql-transport-ws with 4406', async () => {
      const client = track(await RawGraphQLWsClient.open(a.wsUrl, null));
      expect((await client.waitForClose()).code).toBe(4406);
    });

    it('should answer a document that is not persisted, or not its text, with an error and keep the socket', async () => {
      const client = await connect(a);
      const body = operations.get('ChatMessages')!.body;
      client.send({ id: 'text', type: 'subscribe', payload: { query: body, variables: { channelId: randomUUID() } } });
      client.subscribe('unknown', 'f'.repeat(64), { channelId: randomUUID() });
      client.subscribe('changed', op('ChatMessages'), { channelId: randomUUID() }, body.replace('text', 'text\n    sentAt'));
      client.subscribe('bad-channel', op('ChatMessages'), { channelId: 'general' });
      for (const [id, code] of [
        ['text', 'OPERATION_NOT_PERSISTED'],
        ['unknown', 'OPERATION_NOT_PERSISTED'],
        ['changed', 'OPERATION_NOT_PERSISTED'],
        ['bad-channel', 'VALIDATION_FAILED'],
      ]) {
        const frame = await client.waitFor((f) => f.id === id);
        expect(frame).toEqual({ id, type: 'error', payload: [expect.objectContaining({ extensions: expect.objectContaining({ code }) })] });
      }
      const channelId = randomUUID();
      client.subscribe('fine', op('ChatMessages'), { channelId }, body);
      await eventually(async () => a.rooms.localViewerCounts().get(channelId) === 1);
      expect(client.closed).toBeUndefined();
    });
  });
});

describe('rt-gtw socket caps', () => {
  let bus: EventBus;
  let gateway: RunningRtGtw;
  const clients: RawGraphQLWsClient[] = [];

  beforeAll(async () => {
    bus = await kafkaBusForTests('realtime-caps');
    gateway = await startRtGtw(
      rtGtwConfigSchema.parse({
        RT_PORT: '0',
        ACCESS_TOKEN_PUBLIC_KEYS: ACCESS.publicKeys,
        SERVICE_TOKEN_SIGNING_KEY: SERVICE.signingKey,
        RT_MAX_SOCKETS_PER_USER: '2',
        RT_MAX_ANONYMOUS_SOCKETS_PER_ADDRESS: '3',
        // The test's sockets come from 127.0.0.1; as a trusted proxy it may name other client addresses.
        RT_TRUSTED_PROXIES: '127.0.0.1,::1,::ffff:127.0.0.1',
      }),
      bus,
      logger,
      // No ban matters to the caps: none to read.
      { bans: async () => [] },
    );
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await gateway?.stop();
    await bus?.close();
  });

  /** connection_init, then either the ack or the close that refuses the socket. */
  const attempt = async (payload?: Record<string, unknown>, forwardedFor?: string) => {
    const client = await RawGraphQLWsClient.open(
      gateway.wsUrl,
      'graphql-transport-ws',
      forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    );
    clients.push(client);
    client.send({ type: 'connection_init', ...(payload ? { payload } : {}) });
    await eventually(() => client.closed || client.frames.some((f) => f.type === 'connection_ack'), 10_000, 'ack or close');
    return client.closed ? client.closed.code : 'ack';
  };

  it('should refuse a user more sockets than the cap, and admit another once one closes', async () => {
    const user = { authorization: `Bearer ${await issueAccessToken(ACCESS.signing, { userId: randomUUID(), sessionId: randomUUID() })}` };
    expect([await attempt(user), await attempt(user), await attempt(user)]).toEqual(['ack', 'ack', 1008]);
    const other = { authorization: `Bearer ${await issueAccessToken(ACCESS.signing, { userId: randomUUID(), sessionId: randomUUID() })}` };
    expect(await attempt(other)).toBe('ack');
    const open = clients.filter((c) => !c.closed);
    open[0].close();
    await open[0].waitForClose();
    await eventually(async () => (await attempt(user)) === 'ack', 10_000, 'a socket for the user again');
  });

  it('should count anonymous sockets per client address, not per proxy, and count their viewers once per address', async () => {
    const before = clients.length;
    const fromOne = [];
    for (let i = 0; i < 4; i += 1) fromOne.push(await attempt(undefined, '198.51.100.1'));
    expect(fromOne).toEqual(['ack', 'ack', 'ack', 1008]);
    expect(await attempt(undefined, '198.51.100.2')).toBe('ack');

    const admitted = clients.slice(before).filter((c) => !c.closed);
    expect(admitted).toHaveLength(4);
    const channelId = randomUUID();
    for (const client of admitted) client.subscribe('v', op('ChatMessages'), { channelId });
    await eventually(() => gateway.rooms.localViewerCounts().get(channelId) === 4, 10_000, 'every socket seated');
    expect(gateway.rooms.localDistinctViewers().get(channelId)).toBe(2);
  });
});
