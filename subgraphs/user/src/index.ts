import Redis from 'ioredis';
import type { EventBus } from '../../../kernel/bus/port';
import type { Logger } from '../../../kernel/log';
import { createOutboxRelay } from '../../../kernel/outbox/relay';
import { fromRoot } from '../../../kernel/paths';
import { startSubgraph } from '../../../kernel/subgraph';
import type { UserStoreConfig } from './config';
import { createUserContext } from './context';
import { connectUserDb, USER_SCHEMA } from './data/db';
import { resolvers } from './resolvers';
import { AccountsService } from './services/accounts.service';
import { DeveloperAppsService } from './services/developer-apps.service';
import { LoginLimiter } from './services/login-limiter';
import { StaffService } from './services/staff.service';

/** user-store-svc: the user subgraph and the relay of the user domain's outbox. */
export async function startUserStoreSvc(config: UserStoreConfig, bus: EventBus, logger: Logger) {
  const db = connectUserDb(config.DATABASE_URL, 10, logger);
  const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: false }) : undefined;
  redis?.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  const limiter = new LoginLimiter(
    {
      accountFailures: config.LOGIN_ACCOUNT_FAILURES,
      accountLockSeconds: config.LOGIN_ACCOUNT_LOCK_SECONDS,
      attemptsPerIpPerMinute: config.LOGIN_IP_ATTEMPTS_PER_MINUTE,
    },
    redis,
  );
  const accounts = new AccountsService(db.prisma, config.ACCESS_TOKEN_SECRET, limiter);
  const staff = new StaffService(db.prisma, accounts, config.ACCESS_TOKEN_SECRET, config.STAFF_MFA_MAX_AGE_SECONDS);
  const relay = createOutboxRelay({ pool: db.pool, schema: USER_SCHEMA, bus, logger });
  await relay.start();
  const subgraph = await startSubgraph({
    name: 'user',
    sdlPath: fromRoot('subgraphs', 'user', 'schema.graphql'),
    resolvers,
    identitySecret: config.IDENTITY_SECRET,
    port: config.USER_STORE_PORT,
    logger,
    checks: {
      database: () => db.pool.query('SELECT 1').then(() => true),
      bus: () => bus.healthy(),
      ...(redis ? { redis: () => redis.ping().then((pong) => pong === 'PONG') } : {}),
    },
    context: createUserContext(accounts, staff, new DeveloperAppsService(db.prisma)),
  });
  return {
    url: subgraph.url,
    accounts,
    staff,
    prisma: db.prisma,
    relay,
    stop: async () => {
      await subgraph.stop();
      await relay.stop();
      await redis?.quit();
      await db.close();
    },
  };
}
