import { randomUUID } from 'node:crypto';
import type { EventBus } from '../../kernel/bus/port';
import type { Consumer } from '../../kernel/bus/consumer';
import { makeEvent } from '../../kernel/events';
import { createLogger } from '../../kernel/log';
import { connectChatDb, type ChatDb } from '../../subgraphs/chat/src/data/db';
import { ProjectionsService } from '../../subgraphs/chat/src/services/projections.service';
import { createChatProvisionWorker } from '../../subgraphs/chat/src/workers/provision.wkr';
import { kafkaBusForTests } from '../support/kafka';
import { createScratchDatabase } from '../support/database';
import { eventually } from '../support/eventually';

const logger = createLogger('chat-provision-wkr', process.env.TEST_LOG_LEVEL ?? 'silent');

/** chat-provision-wkr against real Kafka and PostgreSQL: rooms from channel events, projections from the others. */
describe('chat-provision-wkr', () => {
  let bus: EventBus;
  let db: ChatDb;
  let dropDatabase: () => Promise<void>;
  let worker: Consumer;

  beforeAll(async () => {
    bus = await kafkaBusForTests('chat-provision');
    const database = await createScratchDatabase();
    dropDatabase = database.drop;
    db = connectChatDb(database.url, 4);
    worker = createChatProvisionWorker(bus, new ProjectionsService(db.prisma), logger);
    await worker.start();
  }, 90_000);

  afterAll(async () => {
    await worker?.stop();
    await bus?.close();
    await db?.close();
    await dropDatabase?.();
  });

  const publish = async (event: { type: string; data: { channelId?: string; userId?: string } }) =>
    bus.publish(event.type, [{ key: event.data.channelId ?? event.data.userId ?? randomUUID(), value: JSON.stringify(event) }]);

  it('should create one room for a channel created, however often the event comes', async () => {
    const channelCreated = makeEvent('chnl.channel.created.v1', {
      channelId: randomUUID(),
      ownerId: randomUUID(),
      createdAt: new Date().toISOString(),
    });
    await publish(channelCreated);
    await publish(channelCreated);
    const room = await eventually(() => db.prisma.room.findUnique({ where: { channelId: channelCreated.data.channelId } }), 30_000);
    expect(room).toMatchObject({ ownerId: channelCreated.data.ownerId, slowModeSeconds: null, emoteOnly: false });
    await eventually(async () => (await db.prisma.processedEvent.count({ where: { eventId: channelCreated.id } })) === 1);
    expect(await db.prisma.room.count({ where: { channelId: channelCreated.data.channelId } })).toBe(1);
  }, 60_000);

  it('should keep chatters, followers and moderators, the latest change winning whatever order the topics deliver in', async () => {
    const channelId = randomUUID();
    const ownerId = randomUUID();
    const userId = randomUUID();
    const earlier = new Date(Date.now() - 60_000).toISOString();
    const later = new Date().toISOString();
    await publish(
      makeEvent('user.account.created.v1', { userId, login: `c${userId.slice(0, 8)}`, displayName: 'Chatty', createdAt: earlier }),
    );
    // The removal happened last but is published first: the addition must not revive the role.
    await publish(makeEvent('chnl.moderator.removed.v1', { channelId, ownerId, userId, at: later }));
    await publish(makeEvent('chnl.moderator.added.v1', { channelId, ownerId, userId, at: earlier }));
    await publish(makeEvent('chnl.vip.added.v1', { channelId, ownerId, userId, at: later }));
    await publish(makeEvent('chnl.follow.created.v1', { channelId, ownerId, userId, followedAt: earlier }));

    await eventually(() => db.prisma.chatter.findUnique({ where: { userId } }), 30_000);
    const roles = await eventually(async () => {
      const rows = await db.prisma.roomRole.findMany({ where: { channelId, userId }, orderBy: { role: 'asc' } });
      return rows.length === 2 && (await db.prisma.processedEvent.count({ where: { consumerGroup: { contains: 'moderator' } } })) >= 2
        ? rows
        : undefined;
    }, 30_000);
    expect(roles.map((r) => [r.role, r.active])).toEqual([
      ['moderator', false],
      ['vip', true],
    ]);
    const follower = await eventually(() => db.prisma.follower.findUnique({ where: { channelId_userId: { channelId, userId } } }), 30_000);
    expect(follower).toMatchObject({ active: true, followedAt: new Date(earlier) });

    await publish(makeEvent('chnl.follow.deleted.v1', { channelId, userId, unfollowedAt: later }));
    await eventually(
      async () => !(await db.prisma.follower.findUnique({ where: { channelId_userId: { channelId, userId } } }))?.active,
      30_000,
    );
    expect(worker.status()).toBe('ready');
  }, 60_000);
});
