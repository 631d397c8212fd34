import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { kafkaBusFromConfig, kafkaConfigSchema } from '../kernel/bus/config';
import { createMemoryBus } from '../kernel/bus/memory';
import { parseConfig } from '../kernel/config';
import { DomainError } from '../kernel/errors';
import { startEmbeddedPostgres } from '../kernel/db/embedded';
import type { EventBus } from '../kernel/bus/port';
import type { Stoppable } from '../kernel/lifecycle';
import type { Logger } from '../kernel/log';
import { fromRoot } from '../kernel/paths';
import { startRestFacade } from '../rest-facade/src';
import { restFacadeConfigSchema } from '../rest-facade/src/config';
import { startRouter } from '../router/src/app';
import { routerConfigSchema } from '../router/src/config';
import { migrateDeploy } from '../scripts/migrate';
import { startChnlProvisionWkr, startChnlStoreSvc } from '../subgraphs/chnl/src';
import { chnlProvisionConfigSchema, chnlStoreConfigSchema } from '../subgraphs/chnl/src/config';
import { startUserStoreSvc } from '../subgraphs/user/src';
import { bootstrapAdmin } from '../subgraphs/user/src/services/staff/roles.service';
import { userOAuthConfigSchema, userStoreConfigSchema } from '../subgraphs/user/src/config';
import { startChatProvisionWkr, startChatStoreSvc } from '../subgraphs/chat/src';
import { chatProvisionConfigSchema, chatStoreConfigSchema } from '../subgraphs/chat/src/config';
import { startRtGtw } from '../realtime/src/app';
import { rtGtwConfigSchema } from '../realtime/src/config';

const DEMO_USERS = [
  { login: 'demo_streamer', email: 'streamer@demo.test', password: 'demo-password', displayName: 'Demo Streamer' },
  { login: 'demo_viewer', email: 'viewer@demo.test', password: 'demo-password', displayName: 'Demo Viewer' },
  { login: 'demo_admin', email: 'admin@demo.test', password: 'demo-password', displayName: 'Demo Admin' },
];
/** The demo admin's TOTP secret is shown once by the bootstrap; kept here so later starts can print it again. */
const DEMO_TOTP_FILE = fromRoot('.data', 'demo-admin.totp');

const DEMO_GLOBAL_EMOTES = [
  { code: 'Kappa', name: 'Kappa' },
  { code: 'PogChamp', name: 'PogChamp' },
  { code: 'LUL', name: 'LUL' },
];

/**
 * The newcomer's platform in one process: embedded PostgreSQL (unless DATABASE_URL is set), the in-process bus
 * (unless KAFKA_BROKERS is set), migrations applied, demo accounts seeded, every process started on its default
 * port. Token secrets are generated per run unless given, so sessions do not survive a restart.
 */
export async function startEverything(logger: Logger): Promise<Stoppable[]> {
  const parts: Stoppable[] = [];
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({ dataDir: fromRoot('.data', 'postgres'), port: Number(process.env.EMBEDDED_PG_PORT ?? 54329) });
    databaseUrl = pg.url;
    parts.push({ name: 'embedded-postgres', stop: pg.stop });
  }
  await migrateDeploy(databaseUrl);

  const kafka = parseConfig(kafkaConfigSchema);
  const bus = kafka.KAFKA_BROKERS.length ? kafkaBusFromConfig(kafka, 'platform-all', logger) : createMemoryBus();
  parts.unshift({ name: 'bus', stop: () => bus.close() });

  const oauthSecret = process.env.OAUTH_ROUTER_CLIENT_SECRET ?? randomBytes(32).toString('base64url');
  const accessTokenSecret = process.env.ACCESS_TOKEN_SECRET ?? randomBytes(32).toString('base64url');
  // Loaded here only: oidc-provider is an ES module, which the test runner's loader cannot require.
  const { startUserOAuthSvc } = await import('../subgraphs/user/src/oauth/server');
  const oauth = await startUserOAuthSvc(
    userOAuthConfigSchema.parse({ ...process.env, DATABASE_URL: databaseUrl, ACCESS_TOKEN_SECRET: accessTokenSecret, OAUTH_ROUTER_CLIENT_SECRET: oauthSecret }),
    logger.child({ process: 'user-oauth-svc' }),
  );
  parts.unshift({ name: 'user-oauth-svc', stop: oauth.stop });

  const running = await startAllProcesses({
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      ACCESS_TOKEN_SECRET: accessTokenSecret,
      IDENTITY_SECRET: process.env.IDENTITY_SECRET ?? randomBytes(32).toString('base64url'),
      OAUTH_ROUTER_CLIENT_SECRET: oauthSecret,
      OAUTH_INTROSPECTION_URL: `${oauth.url}/oauth/introspect`,
    },
    bus,
    logger,
  });
  parts.unshift(...running.parts);
  const { user, chnl, router, facade } = running;
  const { rt } = running;

  for (const demo of DEMO_USERS) {
    await user.accounts.signUp(demo).catch((error) => {
      if (!(error instanceof DomainError)) throw error;
    });
  }
  for (const emote of DEMO_GLOBAL_EMOTES) {
    await running.chat.emotes.createGlobal(emote).catch((error) => {
      if (!(error instanceof DomainError)) throw error;
    });
  }

  if (!existsSync(DEMO_TOTP_FILE)) {
    const enrolment = await bootstrapAdmin(user.prisma, 'demo_admin').catch((error) => {
      if (!(error instanceof DomainError)) throw error;
    });
    if (enrolment) {
      mkdirSync(dirname(DEMO_TOTP_FILE), { recursive: true });
      writeFileSync(DEMO_TOTP_FILE, enrolment.totpSecret);
    }
  }
  const demoTotp = existsSync(DEMO_TOTP_FILE) ? readFileSync(DEMO_TOTP_FILE, 'utf8').trim() : undefined;

  console.log(
    [
      '',
      'The platform is running:',
      `  REST facade   ${facade.url}/private/v1   (try: curl ${facade.url}/private/v1/users/demo_streamer)`,
      `  router        ${router.url}/graphql   (persisted operations only)`,
      `  OAuth server  ${oauth.url}/.well-known/oauth-authorization-server   (Public API: ${facade.url}/public/v1)`,
      `  subgraphs     ${user.url}/graphql (user), ${chnl.url}/graphql (chnl), ${running.chat.url}/graphql (chat)`,
      `  realtime      ${rt.wsUrl}   (graphql-ws, persisted subscriptions of realtime.v1)`,
      `  database      ${databaseUrl}`,
      `  event bus     ${bus.kind}`,
      `  demo logins   ${DEMO_USERS.map((u) => `${u.login} / ${u.password}`).join(', ')}`,
      ...(demoTotp
        ? [`  admin API     ${facade.url}/admin/v1   (demo_admin's TOTP secret ${demoTotp}; a code: npm run -s staff -- code ${demoTotp})`]
        : []),
      '',
    ].join('\n'),
  );
  return parts;
}

export interface AllProcessesOptions {
  env: NodeJS.ProcessEnv;
  bus: EventBus;
  logger: Logger;
}

/**
 * Starts every process of the platform in this one, each with its own config read from `env`, wired together. If
 * one fails to start, those already started are stopped (last first) before the error goes on: nothing is left
 * consuming or listening.
 */
export async function startAllProcesses({ env, bus, logger }: AllProcessesOptions) {
  const log = (name: string) => logger.child({ process: name });
  const started: Stoppable[] = [];
  const part = async <T extends { stop(): Promise<void> }>(name: string, start: () => Promise<T>): Promise<T> => {
    const running = await start();
    started.unshift({ name, stop: running.stop });
    return running;
  };
  try {
    const user = await part('user-store-svc', () => startUserStoreSvc(userStoreConfigSchema.parse(env), bus, log('user-store-svc')));
    const chnl = await part('chnl-store-svc', () => startChnlStoreSvc(chnlStoreConfigSchema.parse(env), bus, log('chnl-store-svc')));
    const worker = await part('chnl-provision-wkr', () =>
      startChnlProvisionWkr(chnlProvisionConfigSchema.parse(env), bus, log('chnl-provision-wkr')),
    );
    const chat = await part('chat-store-svc', () => startChatStoreSvc(chatStoreConfigSchema.parse(env), bus, log('chat-store-svc')));
    const chatWorker = await part('chat-provision-wkr', () =>
      startChatProvisionWkr(chatProvisionConfigSchema.parse(env), bus, log('chat-provision-wkr')),
    );
    const router = await part('router-gtw', () =>
      startRouter(
        routerConfigSchema.parse({
          ...env,
          USER_SUBGRAPH_URL: `${user.url}/graphql`,
          CHNL_SUBGRAPH_URL: `${chnl.url}/graphql`,
          CHAT_SUBGRAPH_URL: `${chat.url}/graphql`,
        }),
        log('router-gtw'),
        bus,
      ),
    );
    const facade = await part('rest-facade-gtw', () =>
      startRestFacade(restFacadeConfigSchema.parse({ ...env, ROUTER_URL: `${router.url}/graphql` }), log('rest-facade-gtw')),
    );
    const rt = await part('rt-gtw', () => startRtGtw(rtGtwConfigSchema.parse(env), bus, log('rt-gtw')));
    // Servers first so no new work comes in, then workers so their offsets are committed, then the domains.
    const parts: Stoppable[] = [
      { name: 'rt-gtw', stop: rt.stop },
      { name: 'rest-facade-gtw', stop: facade.stop },
      { name: 'router-gtw', stop: router.stop },
      { name: 'chat-provision-wkr', stop: chatWorker.stop },
      { name: 'chat-store-svc', stop: chat.stop },
      { name: 'chnl-provision-wkr', stop: worker.stop },
      { name: 'chnl-store-svc', stop: chnl.stop },
      { name: 'user-store-svc', stop: user.stop },
    ];
    return { user, chnl, worker, chat, chatWorker, router, facade, rt, parts };
  } catch (error) {
    for (const running of started) {
      await running.stop().catch((stopError: unknown) => logger.error({ err: stopError, part: running.name }, 'stop after a failed start failed'));
    }
    throw error;
  }
}
