import Redis from 'ioredis';
import type { EventBus } from '../../../kernel/bus/port';
import type { Logger } from '../../../kernel/log';
import { createOutboxRelay } from '../../../kernel/outbox/relay';
import { fromRoot } from '../../../kernel/paths';
import { startSubgraph } from '../../../kernel/subgraph';
import { runWorkerProcess } from '../../../kernel/worker-process';
import type { ChatProvisionConfig, ChatStoreConfig } from './config';
import { createChatContext } from './context';
import { CHAT_SCHEMA, connectChatDb } from './data/db';
import { resolvers } from './resolvers';
import { ChatLimiter } from './services/chat-limiter';
import { EmotesService } from './services/emotes.service';
import { MessagesService } from './services/messages.service';
import { ModerationService } from './services/moderation.service';
import { ProjectionsService } from './services/projections.service';
import { RoomsService } from './services/rooms.service';
import { createChatProvisionWorker } from './workers/provision.wkr';

/** chat-store-svc: the chat subgraph and the relay of the chat domain's outbox. */
export async function startChatStoreSvc(config: ChatStoreConfig, bus: EventBus, logger: Logger) {
  const db = connectChatDb(config.DATABASE_URL, 10, logger);
  const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: false }) : undefined;
  redis?.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  const limiter = new ChatLimiter(
    { viewerMessages: config.CHAT_VIEWER_MESSAGES_PER_30S, moderatorMessages: config.CHAT_MODERATOR_MESSAGES_PER_30S },
    redis,
    config.CHAT_REDIS_PREFIX,
  );
  const rooms = new RoomsService(db.prisma);
  const services = {
    rooms,
    messages: new MessagesService(db.prisma, rooms, limiter),
    moderation: new ModerationService(db.prisma, rooms),
    emotes: new EmotesService(db.prisma, rooms),
  };
  const relay = createOutboxRelay({ pool: db.pool, schema: CHAT_SCHEMA, bus, logger });
  await relay.start();
  const subgraph = await startSubgraph({
    name: 'chat',
    sdlPath: fromRoot('subgraphs', 'chat', 'schema.graphql'),
    resolvers,
    identitySecret: config.IDENTITY_SECRET,
    port: config.CHAT_STORE_PORT,
    logger,
    checks: {
      database: () => db.pool.query('SELECT 1').then(() => true),
      bus: () => bus.healthy(),
      ...(redis ? { redis: () => redis.ping().then((pong) => pong === 'PONG') } : {}),
    },
    context: createChatContext(services),
  });
  return {
    url: subgraph.url,
    ...services,
    relay,
    stop: async () => {
      await subgraph.stop();
      await relay.stop();
      await redis?.quit();
      await db.close();
    },
  };
}

/** chat-provision-wkr: consumes channel, account, follow and role events; serves only health endpoints. */
export async function startChatProvisionWkr(config: ChatProvisionConfig, bus: EventBus, logger: Logger) {
  const db = connectChatDb(config.DATABASE_URL, 4, logger);
  const worker = createChatProvisionWorker(bus, new ProjectionsService(db.prisma), logger);
  return runWorkerProcess({ worker, db, bus, port: config.CHAT_PROVISION_HEALTH_PORT, logger });
}
