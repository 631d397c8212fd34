import { kafkaBusFromConfig, kafkaConfigSchema } from '../kernel/bus/config';
import type { EventBus } from '../kernel/bus/port';
import { ConfigError, kafkaBrokers, parseConfig, redisUrl } from '../kernel/config';
import { stopOnSignals, type Stoppable } from '../kernel/lifecycle';
import { createLogger, type Logger } from '../kernel/log';
import { restFacadeConfigSchema } from '../rest-facade/src/config';
import { startRestFacade } from '../rest-facade/src';
import { createInProcessRouterClient } from '../rest-facade/src/in-process-router';
import { routerConfigSchema } from '../router/src/config';
import { startRouter } from '../router/src/app';
import { chnlProvisionConfigSchema, chnlStoreConfigSchema } from '../subgraphs/chnl/src/config';
import { startChnlProvisionWkr, startChnlStoreSvc } from '../subgraphs/chnl/src';
import { userStoreConfigSchema } from '../subgraphs/user/src/config';
import { startUserStoreSvc } from '../subgraphs/user/src';
import { chatProvisionConfigSchema, chatStoreConfigSchema } from '../subgraphs/chat/src/config';
import { startChatProvisionWkr, startChatStoreSvc } from '../subgraphs/chat/src';
import { userOAuthConfigSchema } from '../subgraphs/user/src/config';
import { startUserOAuthSvc } from '../subgraphs/user/src/oauth/server';
import { startEverything } from './everything';
import { rtGtwConfigSchema } from '../realtime/src/config';
import { startRtGtw } from '../realtime/src/app';

/**
 * One entry point for every process: `node dist/bin/platform.js <process-name>`. Each process reads and validates
 * its own environment and runs alone against real PostgreSQL and Kafka; `edge-gtw` is the router and the REST
 * facade in one process (the facade calls the router in-process); `all` runs every process in one for a newcomer,
 * on embedded defaults.
 */
const busConfigSchema = kafkaConfigSchema.extend({
  KAFKA_BROKERS: kafkaBrokers.refine((b) => b.length > 0, 'is required for a process running alone (host:port,...)'),
});

async function kafkaFor(name: string, logger: Logger): Promise<EventBus & Stoppable> {
  const bus = kafkaBusFromConfig(parseConfig(busConfigSchema), name, logger);
  return Object.assign(bus, { name: 'bus', stop: () => bus.close() });
}

type Starter = (name: string, logger: Logger) => Promise<Stoppable[]>;

const PROCESSES: Record<string, Starter> = {
  'user-store-svc': async (name, logger) => {
    // Alone, it is one of several instances: login limits must be counted where all of them see them.
    const config = parseConfig(userStoreConfigSchema.extend({ REDIS_URL: redisUrl }));
    const bus = await kafkaFor(name, logger);
    return [{ name, ...(await startUserStoreSvc(config, bus, logger)) }, bus];
  },
  'chnl-store-svc': async (name, logger) => {
    const config = parseConfig(chnlStoreConfigSchema);
    const bus = await kafkaFor(name, logger);
    return [{ name, ...(await startChnlStoreSvc(config, bus, logger)) }, bus];
  },
  'chnl-provision-wkr': async (name, logger) => {
    const config = parseConfig(chnlProvisionConfigSchema);
    const bus = await kafkaFor(name, logger);
    return [{ name, ...(await startChnlProvisionWkr(config, bus, logger)) }, bus];
  },
  'chat-store-svc': async (name, logger) => {
    // Alone, it is one of several instances: message limits must be counted where all of them see them.
    const config = parseConfig(chatStoreConfigSchema.extend({ REDIS_URL: redisUrl }));
    const bus = await kafkaFor(name, logger);
    return [{ name, ...(await startChatStoreSvc(config, bus, logger)) }, bus];
  },
  'chat-provision-wkr': async (name, logger) => {
    const config = parseConfig(chatProvisionConfigSchema);
    const bus = await kafkaFor(name, logger);
    return [{ name, ...(await startChatProvisionWkr(config, bus, logger)) }, bus];
  },
  'router-gtw': async (name, logger) => {
    const config = parseConfig(routerConfigSchema);
    const bus = await kafkaFor(name, logger);
    return [{ name, ...(await startRouter(config, logger, bus)) }, bus];
  },
  'rest-facade-gtw': async (name, logger) => [
    { name, ...(await startRestFacade(parseConfig(restFacadeConfigSchema), logger)) },
  ],
  'edge-gtw': async (name, logger) => {
    const config = parseConfig(routerConfigSchema.extend(restFacadeConfigSchema.omit({ ROUTER_URL: true }).shape));
    const bus = await kafkaFor(name, logger);
    const router = await startRouter(config, logger, bus);
    const facade = await startRestFacade({ ...config, ROUTER_URL: `${router.url}/graphql` }, logger, createInProcessRouterClient(router.core));
    return [
      { name: 'rest-facade-gtw', stop: facade.stop },
      { name: 'router-gtw', stop: router.stop },
      bus,
    ];
  },
  'rt-gtw': async (name, logger) => {
    const config = parseConfig(rtGtwConfigSchema);
    const bus = await kafkaFor(name, logger);
    return [{ name, ...(await startRtGtw(config, bus, logger)) }, bus];
  },
  all: async (_name, logger) => startEverything(logger),
  'user-oauth-svc': async (name, logger) => {
    // Alone, it is one of several instances: each must verify the cookies the others signed.
    const config = parseConfig(userOAuthConfigSchema.extend({ OAUTH_COOKIE_KEYS: userOAuthConfigSchema.shape.OAUTH_COOKIE_KEYS.unwrap() }));
    return [{ name, ...(await startUserOAuthSvc(config, logger)) }];
  },
};

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const start = PROCESSES[name];
  if (!start) {
    console.error(`usage: platform <${Object.keys(PROCESSES).join('|')}>`);
    process.exit(2);
  }
  const logger = createLogger(name, process.env.LOG_LEVEL);
  try {
    // Signals are handled from the first moment: a SIGTERM during start-up stops what has started so far.
    const parts: Stoppable[] = [];
    stopOnSignals(logger, parts);
    parts.push(...(await start(name, logger)));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${name}: ${error.message}`);
      process.exit(78);
    }
    logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  }
}

void main();
