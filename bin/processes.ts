import type { z } from 'zod';
import type { EventBus } from '../kernel/bus/port';
import { redisUrl } from '../kernel/config';
import type { Logger } from '../kernel/log';
import type { RouterPort } from '../kernel/router-port';
import type { InProcessSubgraph } from '../kernel/subgraph-port';
import { startRtGtw } from '../realtime/src/app';
import { rtGtwConfigSchema } from '../realtime/src/config';
import { startRestFacade } from '../rest-facade/src';
import { restFacadeConfigSchema } from '../rest-facade/src/config';
import { createInProcessRouterClient } from '../rest-facade/src/in-process-router';
import { startRouter } from '../router/src/app';
import { routerConfigSchema } from '../router/src/config';
import { subgraphUrls, withSubgraphUrls, type SubgraphRoute } from '../router/src/subgraphs';
import { chatPruneRnr, startChatProvisionWkr, startChatStoreSvc } from '../subgraphs/chat/src';
import { chatProvisionConfigSchema, chatPruneConfigSchema, chatStoreConfigSchema } from '../subgraphs/chat/src/config';
import { chnlPruneRnr, startChnlProvisionWkr, startChnlStoreSvc } from '../subgraphs/chnl/src';
import { chnlProvisionConfigSchema, chnlPruneConfigSchema, chnlStoreConfigSchema } from '../subgraphs/chnl/src/config';
import { livePruneRnr, startLiveProvisionWkr, startLiveStoreSvc, startLiveViewersWkr, startLiveWebhooksWkr } from '../subgraphs/live/src';
import {
  liveProvisionConfigSchema,
  livePruneConfigSchema,
  liveStoreConfigSchema,
  liveViewersConfigSchema,
  liveWebhooksConfigSchema,
} from '../subgraphs/live/src/config';
import { paymPruneRnr, paymRenewalsRnr, startPaymStoreSvc, startPaymTransfersWkr, startPaymWebhooksWkr } from '../subgraphs/paym/src';
import {
  paymPruneConfigSchema,
  paymRenewalsConfigSchema,
  paymStoreConfigSchema,
  paymTransfersConfigSchema,
  paymWebhooksConfigSchema,
} from '../subgraphs/paym/src/config';
import { ptfmPruneRnr, startPtfmAnalysisWkr, startPtfmNotifyWkr, startPtfmSearchWkr, startPtfmStoreSvc } from '../subgraphs/ptfm/src';
import {
  ptfmAnalysisConfigSchema,
  ptfmNotifyConfigSchema,
  ptfmPruneConfigSchema,
  ptfmSearchConfigSchema,
  ptfmStoreConfigSchema,
} from '../subgraphs/ptfm/src/config';
import { startUserAuditWkr, startUserStoreSvc, userPruneRnr } from '../subgraphs/user/src';
import { userAuditConfigSchema, userOAuthConfigSchema, userPruneConfigSchema, userStoreConfigSchema } from '../subgraphs/user/src/config';

/**
 * The process registry: one row per process of the platform. The CLI (`platform.ts`), `npm start` and the test
 * platform (`everything.ts`), the router's subgraph list, the benchmark and the tests that run processes all read
 * it, so a new domain is new rows here and nothing else outside its folder.
 *
 * Rows run together start in the order written and stop in the reverse order: gateways first so no new work comes
 * in, then each domain's workers so their offsets are committed, then its service, and the user domain last.
 */
export interface Running {
  url: string;
  stop(): Promise<void>;
}

export interface ProcessRow<S extends z.ZodObject = z.ZodObject, R extends Running = Running> {
  /** Its configuration, as read when it runs with the others (`npm start`, the tests). */
  config: S;
  /** What it also requires when it runs alone, one of several instances that must share state (Redis, keys). */
  alone?: z.ZodRawShape;
  /** The variable of the port it listens on (a worker's health endpoints); its default is the config's. */
  port: string;
  /**
   * How the processes started after it reach it: the variable naming its URL and the path under its address. A
   * subgraph is listed in the router's supergraph under `subgraph`.
   */
  serves?: { env: string; path: string; subgraph?: string };
  /** Consumes or publishes events: alone, it connects to Kafka (KAFKA_BROKERS). */
  bus: boolean;
  start(config: z.infer<S>, bus: EventBus, logger: Logger, peers?: Peers): Promise<R>;
  /** A runner's one pass by hand (`--once`): `null` when another instance held its lock. */
  once?(config: z.infer<S>, logger: Logger): Promise<unknown>;
}

/** What a process started before it in the same process hands the ones after it, to call without HTTP. */
export interface Peers {
  router?: RouterPort;
  /** The subgraphs, by their name in the supergraph. */
  subgraphs?: Record<string, InProcessSubgraph>;
}

const row = <S extends z.ZodObject, R extends Running>(definition: ProcessRow<S, R>) => definition;

/** One domain's processes: its `svc` serving its subgraph, its workers. */
const DOMAIN_PROCESSES = {
  'user-oauth-svc': row({
    config: userOAuthConfigSchema,
    // Alone, it is one of several instances: each must verify the cookies the others signed.
    alone: { OAUTH_COOKIE_KEYS: userOAuthConfigSchema.shape.OAUTH_COOKIE_KEYS.unwrap() },
    port: 'USER_OAUTH_PORT',
    serves: { env: 'OAUTH_INTROSPECTION_URL', path: '/oauth/introspect' },
    bus: false,
    // Loaded when started only: oidc-provider is an ES module, which the test runner's loader cannot require.
    start: async (config, _bus, logger) => (await import('../subgraphs/user/src/oauth/server')).startUserOAuthSvc(config, logger),
  }),
  'user-store-svc': row({
    config: userStoreConfigSchema,
    // Alone, it is one of several instances: login limits must be counted where all of them see them.
    alone: { REDIS_URL: redisUrl },
    port: 'USER_STORE_PORT',
    serves: { env: 'USER_SUBGRAPH_URL', path: '/graphql', subgraph: 'user' },
    bus: true,
    start: startUserStoreSvc,
  }),
  'user-audit-wkr': row({ config: userAuditConfigSchema, port: 'USER_AUDIT_HEALTH_PORT', bus: true, start: startUserAuditWkr }),
  'user-prune-rnr': row({ config: userPruneConfigSchema, port: 'USER_PRUNE_HEALTH_PORT', bus: false, ...userPruneRnr }),
  'chnl-store-svc': row({
    config: chnlStoreConfigSchema,
    port: 'CHNL_STORE_PORT',
    serves: { env: 'CHNL_SUBGRAPH_URL', path: '/graphql', subgraph: 'chnl' },
    bus: true,
    start: startChnlStoreSvc,
  }),
  'chnl-provision-wkr': row({
    config: chnlProvisionConfigSchema,
    port: 'CHNL_PROVISION_HEALTH_PORT',
    bus: true,
    start: startChnlProvisionWkr,
  }),
  'chnl-prune-rnr': row({ config: chnlPruneConfigSchema, port: 'CHNL_PRUNE_HEALTH_PORT', bus: false, ...chnlPruneRnr }),
  'chat-store-svc': row({
    config: chatStoreConfigSchema,
    // Alone, it is one of several instances: message limits must be counted where all of them see them.
    alone: { REDIS_URL: redisUrl },
    port: 'CHAT_STORE_PORT',
    serves: { env: 'CHAT_SUBGRAPH_URL', path: '/graphql', subgraph: 'chat' },
    bus: true,
    start: startChatStoreSvc,
  }),
  'chat-provision-wkr': row({
    config: chatProvisionConfigSchema,
    port: 'CHAT_PROVISION_HEALTH_PORT',
    bus: true,
    start: startChatProvisionWkr,
  }),
  'chat-prune-rnr': row({ config: chatPruneConfigSchema, port: 'CHAT_PRUNE_HEALTH_PORT', bus: false, ...chatPruneRnr }),
  'live-store-svc': row({
    config: liveStoreConfigSchema,
    port: 'LIVE_STORE_PORT',
    serves: { env: 'LIVE_SUBGRAPH_URL', path: '/graphql', subgraph: 'live' },
    bus: true,
    start: startLiveStoreSvc,
  }),
  'live-provision-wkr': row({
    config: liveProvisionConfigSchema,
    port: 'LIVE_PROVISION_HEALTH_PORT',
    bus: true,
    start: startLiveProvisionWkr,
  }),
  'live-webhooks-wkr': row({ config: liveWebhooksConfigSchema, port: 'LIVE_WEBHOOKS_HEALTH_PORT', bus: true, start: startLiveWebhooksWkr }),
  'live-viewers-wkr': row({ config: liveViewersConfigSchema, port: 'LIVE_VIEWERS_HEALTH_PORT', bus: true, start: startLiveViewersWkr }),
  'live-prune-rnr': row({ config: livePruneConfigSchema, port: 'LIVE_PRUNE_HEALTH_PORT', bus: false, ...livePruneRnr }),
  'paym-store-svc': row({
    config: paymStoreConfigSchema,
    port: 'PAYM_STORE_PORT',
    serves: { env: 'PAYM_SUBGRAPH_URL', path: '/graphql', subgraph: 'paym' },
    bus: true,
    start: startPaymStoreSvc,
  }),
  'paym-webhooks-wkr': row({ config: paymWebhooksConfigSchema, port: 'PAYM_WEBHOOKS_HEALTH_PORT', bus: true, start: startPaymWebhooksWkr }),
  'paym-renewals-rnr': row({ config: paymRenewalsConfigSchema, port: 'PAYM_RENEWALS_HEALTH_PORT', bus: false, ...paymRenewalsRnr }),
  'paym-transfers-wkr': row({
    config: paymTransfersConfigSchema,
    port: 'PAYM_TRANSFERS_HEALTH_PORT',
    bus: true,
    start: startPaymTransfersWkr,
  }),
  'paym-prune-rnr': row({ config: paymPruneConfigSchema, port: 'PAYM_PRUNE_HEALTH_PORT', bus: false, ...paymPruneRnr }),
  'ptfm-store-svc': row({
    config: ptfmStoreConfigSchema,
    port: 'PTFM_STORE_PORT',
    serves: { env: 'PTFM_SUBGRAPH_URL', path: '/graphql', subgraph: 'ptfm' },
    bus: true,
    start: startPtfmStoreSvc,
  }),
  'ptfm-notify-wkr': row({ config: ptfmNotifyConfigSchema, port: 'PTFM_NOTIFY_HEALTH_PORT', bus: true, start: startPtfmNotifyWkr }),
  'ptfm-search-wkr': row({ config: ptfmSearchConfigSchema, port: 'PTFM_SEARCH_HEALTH_PORT', bus: true, start: startPtfmSearchWkr }),
  'ptfm-analysis-wkr': row({ config: ptfmAnalysisConfigSchema, port: 'PTFM_ANALYSIS_HEALTH_PORT', bus: true, start: startPtfmAnalysisWkr }),
  'ptfm-prune-rnr': row({ config: ptfmPruneConfigSchema, port: 'PTFM_PRUNE_HEALTH_PORT', bus: false, ...ptfmPruneRnr }),
};

/** The default value of a config variable, as the process reads it when the variable is unset. */
const defaultOf = (schema: z.ZodObject, variable: string): unknown => schema.shape[variable]?.parse(undefined);

/** The subgraphs the router composes, where `npm start` runs them (`npm run compose` writes these URLs too). */
export const SUBGRAPHS: readonly SubgraphRoute[] = Object.values(DOMAIN_PROCESSES as Record<string, ProcessRow>).flatMap((process) =>
  process.serves?.subgraph
    ? [
        {
          name: process.serves.subgraph,
          urlEnv: process.serves.env,
          defaultUrl: `http://127.0.0.1:${String(defaultOf(process.config, process.port))}${process.serves.path}`,
        },
      ]
    : [],
);

const routerGtwConfigSchema = withSubgraphUrls(routerConfigSchema, SUBGRAPHS);

const GATEWAYS = {
  'router-gtw': row({
    config: routerGtwConfigSchema,
    port: 'ROUTER_PORT',
    serves: { env: 'ROUTER_URL', path: '/graphql' },
    bus: true,
    // In one process with the subgraphs (`npm start`), the router hands them its calls directly.
    start: (config, bus, logger, peers) => startRouter(config, subgraphUrls(SUBGRAPHS, config), logger, bus, peers?.subgraphs),
  }),
  'rest-facade-gtw': row({
    config: restFacadeConfigSchema,
    port: 'REST_FACADE_PORT',
    bus: false,
    // In one process with the router (`npm start`), the facade hands it its requests directly, as edge-gtw does.
    start: (config, _bus, logger, peers) =>
      startRestFacade(config, logger, peers?.router ? createInProcessRouterClient(peers.router) : undefined),
  }),
  'rt-gtw': row({ config: rtGtwConfigSchema, port: 'RT_PORT', bus: true, start: (config, bus, logger) => startRtGtw(config, bus, logger) }),
};

/** Every process run together, in start order. */
export const PROCESSES = { ...DOMAIN_PROCESSES, ...GATEWAYS };

export type ProcessName = keyof typeof PROCESSES;

/** What each process run together hands back: its address, how to stop it, and a gateway's own handles. */
export type RunningProcesses = { [N in ProcessName]: Awaited<ReturnType<(typeof PROCESSES)[N]['start']>> };

/**
 * Processes that run alone only: edge-gtw is router-gtw and rest-facade-gtw in one process, the facade calling the
 * router in-process (as `npm start` does too).
 */
export const ALONE_ONLY = {
  'edge-gtw': row({
    config: withSubgraphUrls(routerConfigSchema.extend(restFacadeConfigSchema.omit({ ROUTER_URL: true }).shape), SUBGRAPHS),
    port: 'REST_FACADE_PORT',
    bus: true,
    start: async (config, bus, logger) => {
      const router = await startRouter(config, subgraphUrls(SUBGRAPHS, config), logger, bus);
      const facade = await startRestFacade(
        { ...config, ROUTER_URL: `${router.url}/graphql` },
        logger,
        createInProcessRouterClient(router.core),
      );
      return {
        url: facade.url,
        stop: async () => {
          await facade.stop();
          await router.stop();
        },
      };
    },
  }),
};

/** Every row, keyed by process name. */
export const ALL_ROWS: Record<string, ProcessRow> = { ...PROCESSES, ...ALONE_ONLY } as Record<string, ProcessRow>;

/** The order in which processes run together stop. */
export const STOP_ORDER = (Object.keys(PROCESSES) as ProcessName[]).reverse();

/** The processes behind the router: the subgraphs and the workers, what a request through the graph needs. */
export const BEHIND_ROUTER = (Object.entries(DOMAIN_PROCESSES) as [ProcessName, ProcessRow][])
  .filter(([, process]) => process.serves?.subgraph || !process.serves)
  .map(([name]) => name);

/**
 * An environment giving each process run together its own port, from `firstPort` on in registry order (`0` for
 * any free port), and each the URLs of the others on those ports.
 */
export function portsEnv(firstPort: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [index, process] of (Object.values(PROCESSES) as ProcessRow[]).entries()) {
    const port = firstPort === 0 ? 0 : firstPort + index;
    env[process.port] = String(port);
    if (process.serves && port) env[process.serves.env] = `http://127.0.0.1:${port}${process.serves.path}`;
  }
  return env;
}

/**
 * The Kafka principal a process authenticates as when it runs alone (scripts/kafka/principals.json): its domain's,
 * whose ACLs let it write its domain's topics only; rt-gtw's own (it reports viewer counts); the gateways'
 * (read-only).
 */
export function kafkaPrincipalOf(name: string): string {
  if (name === 'rt-gtw') return 'rt';
  if (name === 'router-gtw' || name === 'edge-gtw' || name === 'rest-facade-gtw') return 'gateway';
  return name.slice(0, name.indexOf('-'));
}

/** The port `portsEnv(firstPort)` gives a process. */
export const portOf = (name: ProcessName, firstPort: number) => firstPort + Object.keys(PROCESSES).indexOf(name);
