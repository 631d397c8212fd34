import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Client, createClient } from 'graphql-ws';
import { Client as Pg } from 'pg';
import WebSocket from 'ws';
import { PROCESSES, type ProcessName, portOf, portsEnv } from '../bin/processes';
import { recreateDatabase } from '../kernel/db/admin';
import { issueAccessToken } from '../kernel/identity';
import { generatedKeysEnv, signingKey } from '../kernel/keys';
import { readManifest } from '../kernel/persisted';
import { notifyGroup } from '../subgraphs/ptfm/src/workers/notify.wkr';
import { migrateDeploy } from '../scripts/migrate';
import { simulatedWebhooks } from '../subgraphs/live/src/simulator';
import { benchKafkaEnv, percentile, sleep, waitForReady } from './support';

/**
 * `npm run bench -- golive`: the go-live peak, end to end, every process of the platform alone as in production.
 * A first streamer with 5,000 followers goes live through the same path, and its fan-out completes (the warm-up).
 * Then a streamer signs up; `followers` followers are seeded into the platform domain's projection (what
 * chnl.follow.created.v1 would have written, in one statement, since the follows are not what is measured);
 * `sockets` of them connect to rt-gtw with the `notifications` subscription; then the channel goes live through
 * signed Mux webhooks on the REST facade, and the benchmark measures, from the 2xx of the webhook that makes the
 * stream live:
 *   inbox    until the last fan-out slice has committed (every follower's inbox row written)
 *   frames   p50/p99 until each connected follower's `notifications` frame
 * against the baseline, in the same run and database: the same rows written by one plain INSERT ... SELECT from
 * the followers table into a copy of the inbox table (what PostgreSQL alone does).
 * The path: facade → router → live-store-svc (inbox, outbox) → Kafka → live-webhooks-wkr → live.stream.started.v1
 * → ptfm-notify-wkr instances (plan, then slices shared) → ptfm.notification.created.v1 → rt-gtw → sockets.
 */
export interface GoliveOptions {
  followers: number;
  sockets: number;
  /** ptfm-notify-wkr instances sharing the slices. */
  workers: number;
  databaseUrl: string;
  kafkaBrokers: string;
  redisUrl: string;
  /** The first of the ports the processes listen on, in registry order (bin/processes.ts). */
  firstPort: number;
}

export interface GoliveResult {
  slices: number;
  /** From the webhook's 2xx until the fan-out's plan committed (its slices visible). */
  plannedMs: number;
  inboxMs: number;
  inboxRows: number;
  baselineMs: number;
  /** Every run of the baseline, in order; `baselineMs` is their median. */
  baselineRuns: number[];
  framesReceived: number;
  framesP50: number;
  framesP99: number;
  /** Where the time went: each step of the path and when it happened, in ms from the webhook's 2xx. */
  timeline: { step: string; atMs: number }[];
}

export function goliveOptionsFromEnv(env: NodeJS.ProcessEnv): GoliveOptions {
  return {
    followers: Number(env.BENCH_GOLIVE_FOLLOWERS ?? 100_000),
    sockets: Number(env.BENCH_GOLIVE_SOCKETS ?? 1_000),
    workers: Number(env.BENCH_GOLIVE_WORKERS ?? 2),
    databaseUrl: env.BENCH_GOLIVE_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/platform_bench_golive',
    kafkaBrokers: env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    firstPort: 4600,
  };
}

const entry = join(__dirname, '..', 'bin', 'platform.js');
/** The health ports of the extra ptfm-notify-wkr instances, past the registry's. */
const EXTRA_WORKER_PORT_OFFSET = 50;

/**
 * Every process of the registry alone, one after the other in registry order (each creates its topics and consumer
 * groups as it starts), the extra notify workers beside the first.
 */
async function startPlatform(options: GoliveOptions, env: NodeJS.ProcessEnv, children: ChildProcess[]): Promise<void> {
  const start = async (name: ProcessName, extraEnv: Record<string, string> = {}, port = portOf(name, options.firstPort)) => {
    const child = fork(entry, [name], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    child.on('exit', (code) => {
      if (code) console.error(`${name} exited with ${code}`);
    });
    await waitForReady(`http://127.0.0.1:${port}/readyz`, 120_000);
  };
  for (const name of Object.keys(PROCESSES) as ProcessName[]) {
    await start(name);
    if (name !== 'ptfm-notify-wkr') continue;
    for (let i = 1; i < options.workers; i += 1) {
      const port = options.firstPort + EXTRA_WORKER_PORT_OFFSET + i;
      await start(name, { PTFM_NOTIFY_HEALTH_PORT: String(port) }, port);
    }
  }
}

/** Signs a streamer up and waits for their channel and its live input: the provider's id of it. */
async function streamer(api: string, db: Pg): Promise<{ channelId: string; inputId: string }> {
  const login = `golive_${randomBytes(4).toString('hex')}`;
  const signUp = await fetch(`${api}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, email: `${login}@bench.test`, password: 'bench-password' }),
  });
  if (signUp.status !== 201) throw new Error(`sign-up answered ${signUp.status}: ${await signUp.text()}`);
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const user = (await (await fetch(`${api}/users/${login}`)).json()) as { channel?: { id: string } };
    const channelId = user.channel?.id;
    if (channelId) {
      const input = await db.query<{ provider_input_id: string }>('SELECT provider_input_id FROM live.live_input WHERE channel_id = $1', [
        channelId,
      ]);
      if (input.rows[0]) return { channelId, inputId: input.rows[0].provider_input_id };
    }
    await sleep(100);
  }
  throw new Error(`${login}'s channel or live input was never provisioned`);
}

/** Followers of a warm-up go-live, before the measured one. */
const WARM_UP_FOLLOWERS = 5_000;

/** Seeds `count` followers of the channel into ptfm's projection, as the follow events would have. */
async function seedFollowers(db: Pg, channelId: string, count: number): Promise<void> {
  await db.query(
    `INSERT INTO ptfm.follower (channel_id, user_id, followed_at, active, changed_at)
     SELECT $1::uuid, gen_random_uuid(), now(), true, now() FROM generate_series(1, $2::int)`,
    [channelId, count],
  );
  await db.query('ANALYZE ptfm.follower');
}

/** Waits until every slice of the channel's fan-out has committed; `planned` is called once its slices exist. */
async function fanoutDone(db: Pg, channelId: string, since: number, planned: () => void): Promise<number> {
  let seen = false;
  for (;;) {
    const { rows } = await db.query<{ slices: number; done: number }>(
      `SELECT count(*)::int AS slices, count(*) FILTER (WHERE done_at IS NOT NULL)::int AS done
         FROM ptfm.fanout_job WHERE channel_id = $1::uuid`,
      [channelId],
    );
    const { slices, done } = rows[0];
    if (slices && !seen) {
      seen = true;
      planned();
    }
    if (slices && done === slices) return slices;
    if (performance.now() - since > 300_000) throw new Error(`the fan-out did not finish in 300 s (${done}/${slices} slices)`);
    await sleep(50);
  }
}

/** Connects `userIds` to rt-gtw with the Notifications subscription; each one's first frame time is recorded. */
async function connectFollowers(url: string, userIds: string[], signing: ReturnType<typeof accessSigning>, received: Map<string, number>) {
  const hash = readManifest('realtime.v1').operations.find((op) => op.name === 'Notifications')?.id;
  if (!hash) throw new Error('the Notifications subscription is not persisted');
  const clients: Client[] = [];
  await Promise.all(
    userIds.map(async (userId) => {
      const token = await issueAccessToken(signing, { userId, sessionId: randomUUID() });
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: false,
        connectionParams: { authorization: `Bearer ${token}` },
      });
      clients.push(client);
      await new Promise<void>((resolve, reject) => {
        client.on('connected', () => resolve());
        client.on('closed', (event) => reject(new Error(`socket of ${userId} closed: ${(event as { code?: number }).code}`)));
      });
      client.subscribe(
        { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: hash } } },
        {
          next: () => {
            if (!received.has(userId)) received.set(userId, performance.now());
          },
          error: (error) => console.error(`notifications of ${userId}:`, error),
          complete: () => undefined,
        },
      );
    }),
  );
  return clients;
}

const accessSigning = (keysEnv: Record<string, string>) => signingKey('ACCESS_TOKEN_SIGNING_KEY').parse(keysEnv.ACCESS_TOKEN_SIGNING_KEY);

export async function runGolive(options: GoliveOptions): Promise<GoliveResult> {
  await recreateDatabase(options.databaseUrl);
  await migrateDeploy(options.databaseUrl);
  const keysEnv = generatedKeysEnv();
  const secret = randomBytes(24).toString('base64url');
  const prefix = `golive${randomBytes(3).toString('hex')}.`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: options.databaseUrl,
    ...benchKafkaEnv(),
    KAFKA_BROKERS: options.kafkaBrokers,
    REDIS_URL: options.redisUrl,
    KAFKA_TOPIC_PREFIX: prefix,
    RT_REDIS_PREFIX: `${prefix}rt:`,
    ...keysEnv,
    OAUTH_ROUTER_CLIENT_SECRET: randomBytes(32).toString('hex'),
    OAUTH_COOKIE_KEYS: randomBytes(32).toString('base64url'),
    LIVE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LIVE_MUX_WEBHOOK_SECRET: secret,
    LOG_LEVEL: 'warn',
    // Every bench signs up from 127.0.0.1; runs in a row must not hit the per-address limits.
    SIGNUP_ADDRESS_PER_HOUR: '1000000',
    LOGIN_IP_ATTEMPTS_PER_MINUTE: '100000',
    MAIL_DIR: join(process.cwd(), '.data', 'bench-mail'),
    ...portsEnv(options.firstPort),
  };
  const children: ChildProcess[] = [];
  const clients: Client[] = [];
  const db = new Pg({ connectionString: options.databaseUrl });
  await db.connect();
  try {
    await startPlatform(options, env, children);
    const facade = `http://127.0.0.1:${portOf('rest-facade-gtw', options.firstPort)}`;
    const goLive = async (inputId: string) => {
      for (const { body, signature } of simulatedWebhooks('start', inputId, secret)) {
        const answer = await fetch(`${facade}/webhooks/v1/live/mux`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'mux-signature': signature },
          body,
        });
        if (!answer.ok) throw new Error(`webhook answered ${answer.status}: ${await answer.text()}`);
      }
      return { at: performance.now(), atMs: Date.now() };
    };
    // A platform is never measured on its first go-live: a smaller one runs through the same path first, so that
    // the code on it is compiled and its queries prepared, as in any process that has served before.
    const warmUp = await streamer(`${facade}/private/v1`, db);
    await seedFollowers(db, warmUp.channelId, WARM_UP_FOLLOWERS);
    const warmedAt = await goLive(warmUp.inputId);
    await fanoutDone(db, warmUp.channelId, warmedAt.at, () => undefined);

    const { channelId, inputId } = await streamer(`${facade}/private/v1`, db);
    await seedFollowers(db, channelId, options.followers);
    const connected = await db.query<{ user_id: string }>('SELECT user_id::text FROM ptfm.follower WHERE channel_id = $1 LIMIT $2', [
      channelId,
      options.sockets,
    ]);
    const received = new Map<string, number>();
    clients.push(
      ...(await connectFollowers(
        `ws://127.0.0.1:${portOf('rt-gtw', options.firstPort)}/graphql`,
        connected.rows.map((r) => r.user_id),
        accessSigning(keysEnv),
        received,
      )),
    );
    // A subscribe message has no acknowledgement in graphql-ws: a moment for rt-gtw to register them all.
    await sleep(2_000);

    const { at: wentLive, atMs: wentLiveAt } = await goLive(inputId);
    let plannedMs = Number.NaN;
    const slices = await fanoutDone(db, channelId, wentLive, () => {
      plannedMs = performance.now() - wentLive;
    });
    const inboxMs = performance.now() - wentLive;
    const framesDeadline = performance.now() + 30_000;
    while (received.size < connected.rows.length && performance.now() < framesDeadline) await sleep(50);

    const announcement = await db.query<{ stream_id: string }>('SELECT stream_id::text FROM ptfm.announcement WHERE channel_id = $1', [
      channelId,
    ]);
    const streamId = announcement.rows[0].stream_id;
    const inbox = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ptfm.notification WHERE stream_id = $1', [streamId]);

    // The same rows into a fresh copy of the inbox table, three times (the first may meet the checkpoint the fan-out's
    // writes started): the median is the baseline.
    const baselines: number[] = [];
    for (let run = 0; run < 3; run += 1) {
      await db.query('CREATE TABLE ptfm.golive_baseline (LIKE ptfm.notification INCLUDING ALL)');
      const baselineStart = performance.now();
      await db.query(
        `INSERT INTO ptfm.golive_baseline (id, user_id, stream_id, created_at)
         SELECT md5($2::text || ':' || user_id::text)::uuid, user_id, $2::uuid, now()
           FROM ptfm.follower WHERE channel_id = $1::uuid AND active`,
        [channelId, streamId],
      );
      baselines.push(performance.now() - baselineStart);
      await db.query('DROP TABLE ptfm.golive_baseline');
    }
    const baselineMs = percentile(
      [...baselines].sort((a, b) => a - b),
      50,
    );

    const latencies = [...received.values()].map((t) => t - wentLive).sort((a, b) => a - b);
    const timeline = await timelineOf(db, channelId, wentLiveAt);
    timeline.push(
      { step: 'first notifications frame', atMs: latencies[0] },
      { step: 'last notifications frame', atMs: latencies[latencies.length - 1] },
    );
    return {
      timeline: timeline.sort((a, b) => a.atMs - b.atMs),
      slices,
      plannedMs,
      inboxMs,
      inboxRows: inbox.rows[0].n,
      baselineMs,
      baselineRuns: baselines,
      framesReceived: received.size,
      framesP50: percentile(latencies, 50),
      framesP99: percentile(latencies, 99),
    };
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    for (const child of children) child.kill('SIGTERM');
    await db.end();
  }
}

/**
 * The steps of the go-live's path as the databases recorded them (PostgreSQL's clock, which is the benchmark's: one
 * machine), from the webhook's 2xx. A transaction's `now()` is its start: a consumer's processed mark is when its
 * handling transaction began.
 */
async function timelineOf(db: Pg, channelId: string, wentLiveAt: number): Promise<{ step: string; atMs: number }[]> {
  const { rows } = await db.query<{ step: string; at: Date }>(
    `WITH started AS (
       SELECT id, created_at, published_at FROM live.outbox
        WHERE key = $1 AND topic = 'live.stream.started.v1' ORDER BY created_at LIMIT 1),
     received AS (
       SELECT o.id, o.created_at, o.published_at FROM live.outbox o
        WHERE o.key = $1 AND o.topic = 'live.webhook.received.v1' AND o.created_at < (SELECT created_at FROM started)
        ORDER BY o.created_at DESC LIMIT 1)
     SELECT 'live: webhook recorded (inbox, outbox)' AS step, created_at AS at FROM received
     UNION ALL SELECT 'live: webhook event published to Kafka', published_at FROM received
     UNION ALL SELECT 'live-webhooks-wkr: handling began', p.processed_at FROM live.processed_event p JOIN received r ON p.event_id = r.id
       WHERE p.consumer_group = 'live-webhooks-wkr'
     UNION ALL SELECT 'live: stream started (outbox row written)', created_at FROM started
     UNION ALL SELECT 'live: live.stream.started.v1 published to Kafka', published_at FROM started
     UNION ALL SELECT 'ptfm-notify-wkr: plan began', p.processed_at FROM ptfm.processed_event p JOIN started s ON p.event_id = s.id
       WHERE p.consumer_group = $2
     UNION ALL SELECT 'ptfm: first slice committed', min(done_at) FROM ptfm.fanout_job WHERE channel_id = $1::uuid
     UNION ALL SELECT 'ptfm: last slice committed', max(done_at) FROM ptfm.fanout_job WHERE channel_id = $1::uuid`,
    [channelId, notifyGroup('live.stream.started.v1')],
  );
  return rows.filter((row) => row.at).map((row) => ({ step: row.step, atMs: row.at.getTime() - wentLiveAt }));
}

export function printGolive(options: GoliveOptions, r: GoliveResult): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `\ngo-live: ${options.followers.toLocaleString('en')} followers, ${options.sockets} of them connected, ${options.workers} ptfm-notify-wkr instances, ${r.slices} slices; from the webhook's 2xx`,
  );
  console.log(`  fan-out planned                       ${s(r.plannedMs)}`);
  console.log(`  every inbox row committed             ${s(r.inboxMs)}   (${r.inboxRows.toLocaleString('en')} rows; goal ≤ 10 s)`);
  console.log(`  baseline: one INSERT ... SELECT       ${s(r.baselineMs)}   (median of ${r.baselineRuns.map(s).join(', ')})`);
  console.log(`  ratio fan-out / baseline              ${(r.inboxMs / r.baselineMs).toFixed(2)}x   (goal ≤ 3x)`);
  console.log(
    `  notifications frames                  ${r.framesReceived}/${options.sockets}, p50 ${s(r.framesP50)}, p99 ${s(r.framesP99)}   (goal p99 ≤ 2 s)`,
  );
  console.log('  where the time went (ms from the 2xx; the database clock has ms, the webhook record was before the 2xx):');
  for (const { step, atMs } of r.timeline) console.log(`    ${String(Math.round(atMs)).padStart(7)}  ${step}`);
  const missing = options.followers - r.inboxRows;
  if (missing !== 0 || r.framesReceived < options.sockets) {
    throw new Error(`not every follower was notified: ${missing} inbox rows and ${options.sockets - r.framesReceived} frames missing`);
  }
}
