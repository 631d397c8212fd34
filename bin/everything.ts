import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { kafkaBusFromConfig, kafkaConfigSchema } from '../kernel/bus/config';
import { createMemoryBus } from '../kernel/bus/memory';
import { parseConfig } from '../kernel/config';
import { startEmbeddedPostgres } from '../kernel/db/embedded';
import type { EventBus } from '../kernel/bus/port';
import type { Stoppable } from '../kernel/lifecycle';
import type { Logger } from '../kernel/log';
import { generatedKeysEnv } from '../kernel/keys';
import { fromRoot } from '../kernel/paths';
import type { InProcessSubgraph } from '../kernel/subgraph-port';
import { migrateDeploy } from '../scripts/migrate';
import { seed as seedChat } from '../subgraphs/chat/src';
import { seed as seedPtfm } from '../subgraphs/ptfm/src';
import { SIMULATOR_FILE, type SimulatorTarget } from '../subgraphs/live/src/simulator';
import {
  makeSimulatorKeys,
  PAYM_SIMULATOR_FILE,
  type PaymSimulatorTarget,
  type SimulatorKeys,
  simulatorEnv,
  startLocalGooglePlay,
} from '../subgraphs/paym/src/simulator';
import { DEMO_USERS, seed as seedUser } from '../subgraphs/user/src';
import { type Peers, PROCESSES, type ProcessName, type ProcessRow, type RunningProcesses } from './processes';

/** The demo admin's TOTP secret is shown once by the bootstrap; kept here so later starts can print it again. */
const DEMO_TOTP_FILE = fromRoot('.data', 'demo-admin.totp');

/**
 * The key stream keys are encrypted under, generated at the first start and kept beside the embedded database:
 * with a new key per run, the keys stored by the last run could no longer be shown.
 */
const LIVE_KEY_FILE = fromRoot('.data', 'live-key-encryption.key');

function liveKeyEncryptionKey(): string {
  if (process.env.LIVE_KEY_ENCRYPTION_KEY) return process.env.LIVE_KEY_ENCRYPTION_KEY;
  if (existsSync(LIVE_KEY_FILE)) return readFileSync(LIVE_KEY_FILE, 'utf8').trim();
  const key = randomBytes(32).toString('base64');
  mkdirSync(dirname(LIVE_KEY_FILE), { recursive: true });
  writeFileSync(LIVE_KEY_FILE, key, { mode: 0o600 });
  return key;
}

/**
 * The keys the payment stores' notifications are signed with for `npm run payments -- simulate`, made at the first
 * start and kept: the simulator reads them from the same file.
 */
function paymSimulatorKeys(): SimulatorKeys {
  if (existsSync(PAYM_SIMULATOR_FILE)) {
    const kept = (JSON.parse(readFileSync(PAYM_SIMULATOR_FILE, 'utf8')) as Partial<PaymSimulatorTarget>).keys;
    if (kept) return kept;
  }
  return makeSimulatorKeys();
}

/**
 * The newcomer's platform in one process: embedded PostgreSQL (unless DATABASE_URL is set), the in-process bus
 * (unless KAFKA_BROKERS is set), migrations applied, every process of the registry started on its default port,
 * each domain's demo data seeded. Token secrets are generated per run unless given, so sessions do not survive a
 * restart. Demo accounts with a known password are for the embedded database only: a database the operator names
 * gets them only when asked (`--demo`).
 */
export async function startEverything(logger: Logger, options: { demo?: boolean } = {}): Promise<Stoppable[]> {
  const parts: Stoppable[] = [];
  let databaseUrl = process.env.DATABASE_URL;
  const demo = options.demo || !databaseUrl;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({ dataDir: fromRoot('.data', 'postgres'), port: Number(process.env.EMBEDDED_PG_PORT ?? 54329) });
    databaseUrl = pg.url;
    parts.push({ name: 'embedded-postgres', stop: pg.stop });
  }
  await migrateDeploy(databaseUrl);

  const kafka = parseConfig(kafkaConfigSchema);
  const bus = kafka.KAFKA_BROKERS.length ? kafkaBusFromConfig(kafka, 'platform-all', logger) : createMemoryBus();
  parts.unshift({ name: 'bus', stop: () => bus.close() });

  // Printed below, so a newcomer can sign Mux webhooks for the local provider's channels.
  const muxWebhookSecret = process.env.LIVE_MUX_WEBHOOK_SECRET ?? randomBytes(24).toString('base64url');
  const paymKeys = paymSimulatorKeys();
  const localGoogle = await startLocalGooglePlay(paymKeys.google);
  parts.unshift({ name: 'local-google-play', stop: localGoogle.stop });
  const running = await startAllProcesses({
    env: {
      ...process.env,
      LIVE_KEY_ENCRYPTION_KEY: liveKeyEncryptionKey(),
      LIVE_MUX_WEBHOOK_SECRET: muxWebhookSecret,
      // The stores' notifications signed by the simulator are accepted, as the stores' would be.
      ...simulatorEnv(paymKeys, process.env, localGoogle.url),
      DATABASE_URL: databaseUrl,
      // One process holds every issuer and every verifier: fresh keys each run, unless the operator gave some.
      ...generatedKeysEnv(process.env),
      OAUTH_ROUTER_CLIENT_SECRET: process.env.OAUTH_ROUTER_CLIENT_SECRET ?? randomBytes(32).toString('base64url'),
      // The facade serves the authorization server on its own origin (consent and /activate beside the console).
      OAUTH_ISSUER: process.env.OAUTH_ISSUER ?? `http://127.0.0.1:${process.env.REST_FACADE_PORT ?? 4000}`,
    },
    bus,
    logger,
    inProcess: true,
  });
  parts.unshift(...running.parts);
  const { processes } = running;

  let demoTotp: string | undefined;
  if (demo) {
    const { adminTotpSecret } = await seedUser(databaseUrl);
    if (adminTotpSecret) keepSecretFile(DEMO_TOTP_FILE, adminTotpSecret);
    await seedChat(databaseUrl);
    await seedPtfm(databaseUrl);
    demoTotp = existsSync(DEMO_TOTP_FILE) ? readFileSync(DEMO_TOTP_FILE, 'utf8').trim() : undefined;
  }

  const facade = processes['rest-facade-gtw'];
  const simulator: SimulatorTarget = {
    api: `${facade.url}/private/v1`,
    webhookUrl: `${facade.url}/webhooks/v1/live/mux`,
    secret: muxWebhookSecret.split(',')[0],
    databaseUrl,
  };
  mkdirSync(dirname(SIMULATOR_FILE), { recursive: true });
  writeFileSync(SIMULATOR_FILE, JSON.stringify(simulator), { mode: 0o600 });
  const paymSimulator: PaymSimulatorTarget = {
    api: `${facade.url}/private/v1`,
    webhooks: `${facade.url}/webhooks/v1/payments`,
    databaseUrl,
    appleBundleId: process.env.PAYM_APPLE_BUNDLE_ID ?? 'com.example.streaming',
    localGoogle: localGoogle.url,
    googlePackageName: process.env.PAYM_GOOGLE_PACKAGE_NAME ?? 'com.example.streaming',
    keys: paymKeys,
  };
  keepSecretFile(PAYM_SIMULATOR_FILE, JSON.stringify(paymSimulator));
  const oauth = processes['user-oauth-svc'];
  console.log(
    [
      '',
      'The platform is running:',
      `  REST facade   ${facade.url}/private/v1   (try: curl ${facade.url}/private/v1/users/demo_streamer)`,
      `  router        ${processes['router-gtw'].url}/graphql   (persisted operations only)`,
      `  OAuth server  ${facade.url}/.well-known/oauth-authorization-server   (served from ${oauth.url}; Public API: ${facade.url}/public/v1)`,
      `  pages         ${facade.url}/developer (developer console), ${facade.url}/reference (API reference),`,
      `                ${facade.url}/admin/explorer (GraphQL explorer), ${facade.url}/activate (device sign-in)`,
      `  subgraphs     ${subgraphLines(processes)}`,
      `  realtime      ${processes['rt-gtw'].wsUrl}   (graphql-ws, persisted subscriptions of realtime.v1)`,
      `  webhooks      ${facade.url}/webhooks/v1/live/mux   (Mux-Signature secret ${muxWebhookSecret.split(',')[0]};`,
      `                a stream for a newcomer: npm run live -- simulate demo_streamer start|drop|stop)`,
      `  payments      ${facade.url}/webhooks/v1/payments/stripe|apple|google   (a subscription for a newcomer:`,
      `                npm run payments -- simulate stripe|apple|google subscribed|renewed|refunded demo_viewer demo_streamer)`,
      `  database      ${databaseUrl}`,
      `  event bus     ${bus.kind}`,
      demo
        ? `  demo logins   ${DEMO_USERS.map((u) => `${u.login} / ${u.password}`).join(', ')}`
        : '  demo logins   none (an external DATABASE_URL gets demo accounts only with --demo)',
      ...(demoTotp
        ? [`  admin API     ${facade.url}/admin/v1   (demo_admin's TOTP secret ${demoTotp}; a code: npm run -s staff -- code ${demoTotp})`]
        : []),
      '',
    ].join('\n'),
  );
  return parts;
}

/** A secret on disk is its owner's alone (0600), also when an earlier run left the file readable to others. */
export function keepSecretFile(file: string, secret: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, secret, { mode: 0o600 });
  chmodSync(file, 0o600);
}

const subgraphLines = (processes: RunningProcesses) =>
  (Object.entries(PROCESSES) as [ProcessName, ProcessRow][])
    .filter(([, process]) => process.serves?.subgraph)
    .flatMap(([name, process]) => (process.serves ? [`${processes[name].url}${process.serves.path} (${process.serves.subgraph})`] : []))
    .join(', ');

export interface AllProcessesOptions {
  env: NodeJS.ProcessEnv;
  bus: EventBus;
  logger: Logger;
  /** Processes of the registry not to start (the tests run the authorization server as a process of its own). */
  without?: ProcessName[];
  /**
   * The REST facade hands its requests to the router, and the router its calls to the subgraphs, in this process
   * instead of over loopback HTTP (`npm start`); the tests keep the HTTP hops between them, as production has them.
   */
  inProcess?: boolean;
}

/**
 * Starts every process of the registry in this one, in its order, each with its own config read from `env` just
 * before it starts, and each told where those before it listen. If one fails to start, those already started are
 * stopped (last first) before the error goes on: nothing is left consuming or listening. `parts` stops them in the
 * registry's stop order; `env` is the environment as the last process read it, the others' addresses included.
 */
export async function startAllProcesses({ env, bus, logger, without = [], inProcess = false }: AllProcessesOptions) {
  const wired: NodeJS.ProcessEnv = { ...env };
  const peers: Peers = {};
  const processes: Partial<Record<ProcessName, { url: string; stop(): Promise<void> }>> = {};
  const parts: Stoppable[] = [];
  try {
    for (const [name, process] of Object.entries(PROCESSES) as [ProcessName, ProcessRow][]) {
      if (without.includes(name)) continue;
      const config = parseConfig(process.config, wired);
      const running = await process.start(config, bus, logger.child({ process: name }), peers);
      processes[name] = running;
      if (inProcess && name === 'router-gtw') peers.router = (running as RunningProcesses['router-gtw']).core;
      if (inProcess && process.serves?.subgraph && 'inProcess' in running)
        peers.subgraphs = { ...peers.subgraphs, [process.serves.subgraph]: running.inProcess as InProcessSubgraph };
      parts.unshift({ name, stop: running.stop });
      if (process.serves) wired[process.serves.env] = `${running.url}${process.serves.path}`;
    }
    return { processes: processes as RunningProcesses, parts, env: wired };
  } catch (error) {
    for (const running of parts) {
      await running
        .stop()
        .catch((stopError: unknown) => logger.error({ err: stopError, part: running.name }, 'stop after a failed start failed'));
    }
    throw error;
  }
}
