import { Pool } from 'pg';
import type { EventBus } from '../../kernel/bus/port';
import { createLogger } from '../../kernel/log';
import { readManifest } from '../../kernel/persisted';
import { startRtGtw, type RunningRtGtw } from '../../realtime/src/app';
import { rtGtwConfigSchema } from '../../realtime/src/config';
import { RawGraphQLWsClient } from '../support/graphql-ws';
import { kafkaBusForTests } from '../support/kafka';
import { eventually } from '../support/eventually';
import { call, signUpAndLogIn, startTestPlatform, type TestPlatform } from '../support/platform';
import { generateSigningKey, signingKey } from '../../kernel/keys';
import { issueServiceToken } from '../../kernel/identity';

/**
 * Chat in real time, end to end on real Kafka: a message sent through the REST facade goes chat subgraph → outbox →
 * relay → Kafka → every rt-gtw instance → the viewers of the room; a ban through the REST facade ends the banned
 * viewer's subscription.
 */
const operations = new Map(readManifest('realtime.v1').operations.map((op) => [op.name, op.id]));

describe('Realtime chat through the Private API', () => {
  let bus: EventBus;
  let platform: TestPlatform;
  let db: Pool;
  let other: RunningRtGtw;
  const clients: RawGraphQLWsClient[] = [];

  beforeAll(async () => {
    bus = await kafkaBusForTests('rt-e2e');
    platform = await startTestPlatform(bus);
    db = new Pool({ connectionString: platform.databaseUrl, max: 2 });
    other = await startRtGtw(
      rtGtwConfigSchema.parse({ ...rtEnv(), ACCESS_TOKEN_PUBLIC_KEYS: generateSigningKey().publicKeys }),
      bus,
      logger,
    );
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await other?.stop();
    await db?.end();
    await platform?.stop();
  });

  const logger = createLogger('rt-gtw', process.env.TEST_LOG_LEVEL ?? 'silent');
  /** Another instance beside the platform's: it reads the bans in force from the platform's router. */
  const rtEnv = () => ({
    RT_PORT: '0',
    ACCESS_TOKEN_PUBLIC_KEYS: platform.keysEnv.ACCESS_TOKEN_PUBLIC_KEYS,
    SERVICE_TOKEN_SIGNING_KEY: platform.keysEnv.SERVICE_TOKEN_SIGNING_KEY,
    ROUTER_URL: `${platform.router.url}/graphql`,
  });

  const room = async () => {
    const owner = await signUpAndLogIn(platform.api, 'caster');
    await eventually(async () => (await db.query('SELECT 1 FROM chat.chatter WHERE user_id = $1', [owner.id])).rowCount);
    const channelId = await eventually(
      async () => (await call(`${platform.api}/me`, { token: owner.token })).body?.channel?.id as string | undefined,
    );
    await eventually(async () => (await call(`${platform.api}/channels/${channelId}/chat/settings`)).status === 200);
    return { owner, channelId, chat: `${platform.api}/channels/${channelId}/chat` };
  };

  it('should deliver messages sent through the REST facade, in order, to a viewer on another instance', async () => {
    const { owner, channelId, chat } = await room();
    const viewer = await RawGraphQLWsClient.connect(other.wsUrl);
    clients.push(viewer);
    viewer.subscribe('m', operations.get('ChatMessages')!, { channelId });
    await eventually(async () => other.rooms.localViewerCounts().get(channelId) === 1);

    const texts = Array.from({ length: 5 }, (_, i) => `hello ${i}`);
    for (const text of texts)
      expect((await call(`${chat}/messages`, { method: 'POST', token: owner.token, body: { text } })).status).toBe(201);

    const frames = await viewer.waitForFrames('m', texts.length, 30_000);
    expect(frames.map((f) => f.payload.data.chatMessages.text)).toEqual(texts);
    expect(frames[0].payload.data.chatMessages.sender).toEqual({ id: owner.id, login: owner.login, displayName: expect.any(String) });
  }, 60_000);

  it('should tell a viewer banned through the REST facade and end their subscriptions to the room', async () => {
    const { owner, channelId, chat } = await room();
    const viewer = await signUpAndLogIn(platform.api, 'viewer');
    const client = await RawGraphQLWsClient.connect(platform.rt.wsUrl, { authorization: `Bearer ${viewer.token}` });
    clients.push(client);
    client.subscribe('e', operations.get('ChatEvents')!, { channelId });
    client.subscribe('m', operations.get('ChatMessages')!, { channelId });
    await eventually(async () => platform.rt.rooms.localViewerCounts().get(channelId) === 1);

    expect((await call(`${chat}/bans/${viewer.id}`, { method: 'POST', token: owner.token, body: { reason: 'rude' } })).status).toBeLessThan(
      300,
    );

    await client.waitFor((f) => f.id === 'm' && f.type === 'complete', 30_000);
    expect(client.of('e')).toEqual([
      {
        id: 'e',
        type: 'next',
        payload: { data: { chatEvents: expect.objectContaining({ __typename: 'ChatUserBanned', userId: viewer.id, expiresAt: null }) } },
      },
      { id: 'e', type: 'complete' },
    ]);
    client.subscribe('again', operations.get('ChatMessages')!, { channelId });
    expect((await client.waitFor((f) => f.id === 'again')).payload[0].extensions.code).toBe('CHAT_BANNED');

    // An instance started after the ban knows it from the chat domain, read through the router.
    const fresh = await startRtGtw(rtGtwConfigSchema.parse(rtEnv()), bus, logger);
    try {
      const there = await RawGraphQLWsClient.connect(fresh.wsUrl, { authorization: `Bearer ${viewer.token}` });
      clients.push(there);
      there.subscribe('m', operations.get('ChatMessages')!, { channelId });
      expect((await there.waitFor((f) => f.id === 'm')).payload[0].extensions.code).toBe('CHAT_BANNED');
    } finally {
      await fresh.stop();
    }

    // Lifted through the REST facade: the room's viewers are told, and the user may subscribe again.
    const watcher = await RawGraphQLWsClient.connect(platform.rt.wsUrl);
    clients.push(watcher);
    watcher.subscribe('w', operations.get('ChatEvents')!, { channelId });
    await eventually(async () => (platform.rt.rooms.localViewerCounts().get(channelId) ?? 0) >= 1);
    expect((await call(`${chat}/bans/${viewer.id}`, { method: 'DELETE', token: owner.token })).status).toBeLessThan(300);
    const lifted = await watcher.waitFor((f) => f.id === 'w' && f.type === 'next', 30_000);
    expect(lifted.payload.data.chatEvents).toEqual({
      __typename: 'ChatUserUnbanned',
      channelId,
      userId: viewer.id,
      unbannedAt: expect.any(String),
    });
    client.subscribe('back', operations.get('ChatMessages')!, { channelId });
    await eventually(async () => platform.rt.rooms.localViewerCounts().get(channelId) === 2);
    expect(client.of('back')).toEqual([]);
  }, 60_000);

  it("should answer the Internal API's ban list to a service token only", async () => {
    const bans = readManifest('internal.v1').operations.find((op) => op.name === 'ActiveChatBans')!;
    const ask = async (token?: string) =>
      call(`${platform.router.url}/graphql`, {
        method: 'POST',
        token,
        body: { variables: { after: null }, extensions: { persistedQuery: { version: 1, sha256Hash: bans.id }, api: 'internal.v1' } },
      });
    const user = await signUpAndLogIn(platform.api, 'insider');
    for (const token of [undefined, user.token]) expect((await ask(token)).status).toBe(401);
    const service = await issueServiceToken(signingKey('key').parse(platform.keysEnv.SERVICE_TOKEN_SIGNING_KEY), 'rt-gtw');
    const answered = await ask(service);
    expect(answered.status).toBe(200);
    expect(answered.body.data.activeChatBans).toEqual({ nodes: expect.any(Array), endCursor: null });
  });
});
