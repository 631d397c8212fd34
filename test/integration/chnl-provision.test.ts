import { randomUUID } from 'node:crypto';
import type { EventBus, IncomingMessage, Subscription } from '../../kernel/bus/port';
import { makeEvent } from '../../kernel/events';
import { createLogger } from '../../kernel/log';
import { connectChnlDb, type ChnlDb } from '../../subgraphs/chnl/src/data/db';
import { ChannelsService } from '../../subgraphs/chnl/src/services/channels.service';
import { createProvisionWorker, PROVISION_GROUP } from '../../subgraphs/chnl/src/workers/provision.wkr';
import { kafkaBusForTests } from '../support/kafka';
import { createScratchDatabase } from '../support/database';
import { eventually } from '../support/eventually';

const TOPIC = 'user.account.created.v1';
const DLT = `${TOPIC}.dlt`;
const logger = createLogger('chnl-provision-wkr', process.env.TEST_LOG_LEVEL ?? 'silent');

const accountCreated = (login = `u${randomUUID().slice(0, 8)}`) =>
  makeEvent(TOPIC, { userId: randomUUID(), login, displayName: login, createdAt: new Date().toISOString() });

/** chnl-provision-wkr against real Kafka and PostgreSQL: exactly one channel per account, whatever is redelivered. */
describe('chnl-provision-wkr', () => {
  let bus: EventBus;
  let db: ChnlDb;
  let dropDatabase: () => Promise<void>;
  let channels: ChannelsService;
  let deadLetters: IncomingMessage[];
  let dltSubscription: Subscription;

  beforeAll(async () => {
    bus = await kafkaBusForTests('provision');
    const database = await createScratchDatabase();
    dropDatabase = database.drop;
    db = connectChnlDb(database.url, 4);
    channels = new ChannelsService(db.prisma);
    await bus.ensureTopics([TOPIC, DLT]);
    deadLetters = [];
    dltSubscription = await bus.subscribe({
      groupId: 'dlt-reader',
      topics: [DLT],
      fromBeginning: true,
      handle: async (message) => {
        deadLetters.push(message);
      },
    });
  }, 90_000);

  afterAll(async () => {
    await dltSubscription?.stop();
    await bus?.close();
    await db?.close();
    await dropDatabase?.();
  });

  const channelCount = (ownerId: string) => db.prisma.channel.count({ where: { ownerId } });
  const publish = (value: string, key: string = randomUUID()) => bus.publish(TOPIC, [{ key, value }]);

  it('should leave exactly one channel when the same event is delivered twice', async () => {
    const worker = createProvisionWorker(bus, channels, logger);
    await worker.start();
    try {
      const event = accountCreated();
      await publish(JSON.stringify(event), event.data.userId);
      await publish(JSON.stringify(event), event.data.userId);
      await eventually(async () => worker.stats().processed >= 2);
      expect(await channelCount(event.data.userId)).toBe(1);
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it('should leave exactly one channel when a worker dies after its effect and before its commit', async () => {
    const event = accountCreated();
    let crashed = false;
    const dying = await bus.subscribe({
      groupId: PROVISION_GROUP,
      topics: [TOPIC],
      fromBeginning: true,
      handle: async (message) => {
        if (message.key !== event.data.userId) return;
        await channels.provision(event, PROVISION_GROUP);
        crashed = true;
        throw new Error('killed before the offset commit');
      },
    });
    await publish(JSON.stringify(event), event.data.userId);
    await eventually(async () => crashed);
    await dying.stop();
    expect(await channelCount(event.data.userId)).toBe(1);

    const worker = createProvisionWorker(bus, channels, logger);
    await worker.start();
    try {
      await eventually(async () => worker.stats().processed >= 1);
      expect(await channelCount(event.data.userId)).toBe(1);
      const processed = await db.prisma.processedEvent.count({ where: { eventId: event.id } });
      expect(processed).toBe(1);
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it('should dead-letter poison messages and go on with the next', async () => {
    const worker = createProvisionWorker(bus, channels, logger);
    await worker.start();
    try {
      const valid = accountCreated();
      await publish('{ not json');
      await publish(JSON.stringify({ ...accountCreated(), data: { userId: 'not-a-uuid' } }));
      await publish(JSON.stringify(valid), valid.data.userId);
      await eventually(async () => (await channelCount(valid.data.userId)) === 1, 30_000);
      const poisoned = await eventually(async () => (deadLetters.length >= 2 ? deadLetters : undefined), 30_000);
      expect(poisoned.map((m) => m.value)).toEqual(expect.arrayContaining(['{ not json']));
      expect(poisoned.every((m) => m.headers['x-dlt-reason'] === 'poison' && m.headers['x-original-topic'])).toBe(true);
      expect(worker.stats().deadLettered).toBe(2);
      expect(worker.status()).toBe('ready');
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
