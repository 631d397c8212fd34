import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BEHIND_ROUTER, type ProcessName } from '../../bin/processes';
import { migrateDeploy } from '../../scripts/migrate';
import { CASES, failed, type Outcome, type Settings } from './cases';
import { Processes } from './processes';
import { startPrivateServices } from './services';

/**
 * `npm run chaos`: the fault battery. It starts a PostgreSQL, a Redis and a Kafka broker of its own, then the
 * registry's processes alone, and runs each case (cases.ts) against them; it prints a table and exits 1 on any
 * loss, effect applied twice, 500 or failed check.
 *
 * CHAOS_N state changes in the broker case (10000), CHAOS_SEED (1), CHAOS_CASES (broker,poison,postgres,redis,realtime),
 * CHAOS_SHORT=1 the bounded form CI runs (300 changes unless CHAOS_N says otherwise, shorter outages).
 * The last line is `CHAOS_RESULT <json>` for the test that runs it (test/integration/chaos.test.ts).
 */
const short = process.env.CHAOS_SHORT === '1';
const settings: Settings = {
  count: Number(process.env.CHAOS_N ?? (short ? 300 : 10_000)),
  seed: Number(process.env.CHAOS_SEED ?? 1),
  brokerDownSeconds: short ? 3 : 10,
  postgresDownSeconds: 10,
  redisDownSeconds: short ? 5 : 10,
  viewers: short ? 200 : 500,
  chatMessages: short ? 60 : 180,
  followers: short ? 50 : 200,
  goLives: short ? 4 : 6,
  minLoadSeconds: short ? 60 : 0,
  drainTimeoutSeconds: short ? 90 : 300,
  log: (line) => console.log(line),
};
const chosen = (process.env.CHAOS_CASES ?? Object.keys(CASES).join(',')).split(',') as (keyof typeof CASES)[];

/** Every subgraph and worker (the router is ready only when every subgraph answers), then the REST path's gateways. */
// The prune runners delete only what is older than days: no case here could see them work.
const RUN: ProcessName[] = [...BEHIND_ROUTER.filter((name) => !name.endsWith('-prune-rnr')), 'router-gtw', 'rest-facade-gtw'];

function table(outcomes: Outcome[]): string {
  const head = ['case', 'sent', 'delivered', 'lost', 'duplicated', 'republished', '5xx/no answer', 'recovery s'];
  const rows = outcomes.map((o) =>
    [o.name, o.sent, o.delivered, o.lost, o.duplicated, o.republished, o.errors, o.recoverySeconds.toFixed(1)].map(String),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const unknown = chosen.filter((name) => !(name in CASES));
  if (unknown.length) throw new Error(`unknown case(s) ${unknown.join(', ')}; known: ${Object.keys(CASES).join(', ')}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'chaos-'));
  // Run as root, the private PostgreSQL runs as the postgres account, which must reach its data dir in here.
  chmodSync(dir, 0o755);
  console.log(`chaos: run directory ${dir} (seed ${settings.seed}, ${settings.count} state changes)`);
  const began = Date.now();
  const services = await startPrivateServices(dir);
  let processes: Processes | undefined;
  const outcomes: Outcome[] = [];
  // The broker runs detached (kafka.sh): an interrupted or broken run stops it and the rest rather than leave them
  // behind.
  const abandon = (why: string, code: number) => {
    console.error(`chaos: ${why}, stopping the processes and services (logs in ${dir})`);
    void Promise.allSettled([processes?.stopAll(), services.stop()]).then(() => process.exit(code));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abandon(signal, 130));
  process.once('unhandledRejection', (error) => abandon(`unexpected failure: ${error instanceof Error ? error.stack : String(error)}`, 2));
  try {
    await migrateDeploy(services.postgres.url);
    processes = await Processes.create(dir, {
      databaseUrl: services.postgres.url,
      brokers: services.kafka.brokers,
      redisUrl: services.redis.url,
    });
    for (const name of RUN) await processes.start(name);
    console.log(`chaos: services and processes up in ${((Date.now() - began) / 1000).toFixed(0)} s`);
    const context = { services, processes, api: `${processes.url('rest-facade-gtw')}/private/v1`, settings };
    for (const name of chosen) {
      console.log(`case ${name}`);
      const outcome = await CASES[name](context);
      for (const crash of await processes.restartCrashed()) outcome.notes.push(`FAIL: ${crash}`);
      for (const note of outcome.notes) console.log(`  ${note}`);
      outcomes.push(outcome);
    }
  } finally {
    await processes?.stopAll();
    await services.stop();
  }
  const bad = outcomes.filter(failed);
  console.log(`\n${table(outcomes)}\n`);
  console.log(
    `chaos: ${((Date.now() - began) / 1000).toFixed(0)} s in all; ${bad.length ? `FAILED: ${bad.map((o) => o.name).join(', ')} (logs in ${dir})` : 'no loss, no double effect, no 500'}`,
  );
  writeFileSync(path.join(dir, 'outcomes.json'), JSON.stringify(outcomes, null, 2));
  if (!bad.length && process.env.CHAOS_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  console.log(`CHAOS_RESULT ${JSON.stringify(outcomes)}`);
  return bad.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('chaos: the battery could not run:', error);
    process.exit(2);
  },
);
