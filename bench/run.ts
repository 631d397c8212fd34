import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedKeysEnv, signingKey } from '../kernel/keys';
import autocannon from 'autocannon';
import { recreateDatabase } from '../kernel/db/admin';
import { isDeepStrictEqual } from 'node:util';
import { createIdentityTokens } from '../router/src/identity-tokens';
import { loadPersistedOperations } from '../kernel/persisted';
import { migrateDeploy } from '../scripts/migrate';
import { BEHIND_ROUTER, portOf, portsEnv, type ProcessName } from '../bin/processes';
import { fanoutOptionsFromEnv, printFanout, runFanout } from './fanout';
import { goliveOptionsFromEnv, printGolive, runGolive } from './golive';
import { benchKafkaEnv, profileArgv, waitForReady } from './support';
import { inLanes } from '../test/support/lanes';

/**
 * `npm run bench`: one REST route against the layers under it, in one run on loopback, each process of the
 * platform on its own (as in production), against real PostgreSQL and Kafka:
 *   rest      GET /private/v1/users/{login}            facade → router → user + chnl subgraphs
 *   rest-edge the same route on edge-gtw                facade and router in one process → subgraphs
 *   start     the same route on `npm start`             every process of the platform in one, in-process bus
 *   router   the same persisted operation posted to the router   router → user + chnl subgraphs
 *   orchestrate  the floor of any gateway: the plan's two subgraph calls by hand (orchestrate-server.ts)
 *   hive     the same persisted operation on The Guild's Hive Gateway over the same subgraphs (hive-server.ts)
 *   subgraph the user subgraph's part of it, called directly with a signed identity
 *   bare     node:http answering a JSON body of the same size
 * Every target is warmed first, then measured in rounds, each round in another order, so JIT warm-up and order
 * do not pass for cost; it prints medians and spread of requests/s and latencies, the CPU each process spent per
 * request, the ratios between them and the issue's goals, met or not; then the fan-out benchmark of the realtime
 * gateway (fanout.ts). BENCH_WARMUP, BENCH_ROUNDS, BENCH_DURATION (seconds), BENCH_CONNECTIONS and BENCH_USERS
 * (the profiles asked for in turn) shape it.
 * BENCH_PROFILE=router-gtw,rest-facade-gtw writes those processes' CPU profiles to .data/profiles/ (fan-out too).
 */
const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
/**
 * Users whose profiles the requests ask for, in turn: with as many users as connections or more, no two requests in
 * flight are the same, so a gateway that merges identical subgraph requests in flight (Hive Gateway does, by
 * default) pays for every request as the router does.
 */
const USERS = Number(process.env.BENCH_USERS ?? 32);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/platform_bench';
/** Each process of the registry on its own port from here on (bin/processes.ts); edge-gtw and the bare server after. */
const FIRST_PORT = 4700;
const PORTS = {
  facade: portOf('rest-facade-gtw', FIRST_PORT),
  edgeFacade: 4750,
  edgeRouter: 4751,
  orchestrate: 4797,
  hive: 4798,
  bare: 4799,
};
/** `npm start`'s processes, in one process, from here on. */
const START_FIRST_PORT = 4800;
/** The route's path: everything behind the router (the router is ready only when every subgraph answers), then the gateways. */
const PATH: ProcessName[] = [...BEHIND_ROUTER, 'router-gtw', 'rest-facade-gtw'];
const entry = join(__dirname, '..', 'bin', 'platform.js');

const keysEnv = generatedKeysEnv();
const env = {
  ...process.env,
  DATABASE_URL,
  ...benchKafkaEnv(),
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  KAFKA_TOPIC_PREFIX: `bench${randomBytes(3).toString('hex')}.`,
  ...keysEnv,
  OAUTH_ROUTER_CLIENT_SECRET: randomBytes(32).toString('hex'),
  LIVE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  LOG_LEVEL: 'warn',
  // Every bench signs up from 127.0.0.1; several runs an hour must not hit the per-address sign-up limit.
  SIGNUP_ADDRESS_PER_HOUR: '1000000',
  LOGIN_IP_ATTEMPTS_PER_MINUTE: '100000',
  MAIL_DIR: join(process.cwd(), '.data', 'bench-mail'),
  ...portsEnv(FIRST_PORT),
};

const children: ChildProcess[] = [];
const named = new Map<string, ChildProcess>();

function spawnProcess(name: string, extraEnv: Record<string, string> = {}, label = name): void {
  const child = fork(entry, [name], {
    env: { ...env, ...extraEnv },
    execArgv: profileArgv(name),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  named.set(label, child);
  child.on('exit', (code) => {
    if (code && code !== 0) console.error(`${label} exited with ${code}`);
  });
}

/** Starts one of this folder's servers (bare, orchestrate, hive) and waits for its 'ready'. */
async function forkServer(name: string, args: string[]): Promise<void> {
  const child = fork(join(__dirname, `${name}.js`), args, { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  named.set(name, child);
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
  });
}

/** The baselines serve what the router serves, or comparing their speed would mean nothing. */
async function sameAnswers(reference: autocannon.Options, others: Record<string, autocannon.Options>): Promise<void> {
  const answer = async (options: autocannon.Options) => {
    const response = await fetch(options.url, {
      method: options.method,
      headers: options.headers as Record<string, string>,
      body: options.body as string,
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const expected = await answer(reference);
  for (const [name, options] of Object.entries(others)) {
    const got = await answer(options);
    if (!isDeepStrictEqual(got, expected))
      throw new Error(`${name} answers ${JSON.stringify(got)} where the router answers ${JSON.stringify(expected)}`);
  }
}

interface Target {
  name: string;
  /** Asked before each run: a signed identity in it must be fresh. */
  request: () => autocannon.Options | Promise<autocannon.Options>;
}

interface Round {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
  cpu: Record<string, number>;
}

interface Measured {
  name: string;
  /** Medians over the rounds. */
  rps: number;
  p50: number;
  p99: number;
  /** The lowest and highest requests/s of the rounds. */
  spread: [number, number];
  errors: number;
  /** CPU milliseconds each process spent per request over all rounds, from /proc: where the time goes. */
  cpuPerRequest: Record<string, number>;
}

const TICK_MS = 10;

function cpuTimesMs(): Record<string, number> {
  const times: Record<string, number> = {};
  for (const [name, child] of [...named, ['bench (autocannon)', process] as const]) {
    try {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      times[name] = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    } catch {
      times[name] = 0;
    }
  }
  return times;
}

async function measureRound(target: Target): Promise<Round> {
  const before = cpuTimesMs();
  const result = await autocannon({ ...(await target.request()), connections: CONNECTIONS, duration: DURATION_S });
  const after = cpuTimesMs();
  const cpu = Object.fromEntries(Object.keys(after).map((name) => [name, after[name] - before[name]]));
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    requests: result.requests.total,
    cpu,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Every target warmed, then ROUNDS rounds, round r starting at target r: each target is measured early and late. */
async function measureAll(targets: Target[]): Promise<Measured[]> {
  for (const target of targets) await autocannon({ ...(await target.request()), connections: CONNECTIONS, duration: WARMUP_S });
  const rounds = new Map<string, Round[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < ROUNDS; r += 1) {
    const order = [...targets.slice(r % targets.length), ...targets.slice(0, r % targets.length)];
    for (const target of order) rounds.get(target.name)?.push(await measureRound(target));
  }
  return targets.map(({ name }) => {
    const measured = rounds.get(name) ?? [];
    const requests = measured.reduce((sum, m) => sum + m.requests, 0);
    const processes = Object.keys(measured[0]?.cpu ?? {});
    return {
      name,
      rps: median(measured.map((m) => m.rps)),
      p50: median(measured.map((m) => m.p50)),
      p99: median(measured.map((m) => m.p99)),
      spread: [Math.min(...measured.map((m) => m.rps)), Math.max(...measured.map((m) => m.rps))],
      errors: measured.reduce((sum, m) => sum + m.errors, 0),
      cpuPerRequest: Object.fromEntries(
        processes.map((process) => [process, measured.reduce((sum, m) => sum + m.cpu[process], 0) / Math.max(requests, 1)]),
      ),
    };
  });
}

/** Signs a user up through a facade and waits until its channel is provisioned: the route's answer, complete. */
async function signUpAndWait(api: string, login: string): Promise<string> {
  // On a loaded machine a sign-up can time out and roll back: it is tried again, and an earlier try that did commit
  // answers 409.
  let signUp: Response | undefined;
  for (let attempt = 0; attempt < 3 && (!signUp || signUp.status >= 500); attempt += 1) {
    signUp = await fetch(`${api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login, email: `${login}@bench.test`, password: 'bench-password' }),
    });
  }
  if (signUp?.status !== 201 && signUp?.status !== 409) throw new Error(`sign-up failed: ${signUp?.status} ${await signUp?.text()}`);
  let body = '';
  for (let i = 0; i < 200 && !body.includes('"channel":{'); i += 1) {
    body = await (await fetch(`${api}/users/${login}`)).text();
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!body.includes('"channel":{')) throw new Error(`the channel was never provisioned behind ${api}`);
  return body;
}

async function main(): Promise<void> {
  await recreateDatabase(DATABASE_URL);
  await migrateDeploy(DATABASE_URL);
  for (const name of PATH) {
    spawnProcess(name);
    // Three minutes: on a shared, loaded machine the router is ready only once every subgraph answers.
    await waitForReady(`http://127.0.0.1:${portOf(name, FIRST_PORT)}/readyz`, 180_000);
  }
  spawnProcess('edge-gtw', { REST_FACADE_PORT: String(PORTS.edgeFacade), ROUTER_PORT: String(PORTS.edgeRouter) });
  await waitForReady(`http://127.0.0.1:${PORTS.edgeFacade}/readyz`);
  // `npm start` as a newcomer runs it: one process, the in-process bus, on a database of its own.
  const startDatabaseUrl = `${DATABASE_URL}_start`;
  await recreateDatabase(startDatabaseUrl);
  spawnProcess('all', { DATABASE_URL: startDatabaseUrl, KAFKA_BROKERS: '', ...portsEnv(START_FIRST_PORT) }, 'platform (npm start)');
  await waitForReady(`http://127.0.0.1:${portOf('rest-facade-gtw', START_FIRST_PORT)}/readyz`, 120_000);

  const api = `http://127.0.0.1:${PORTS.facade}/private/v1`;
  const startApi = `http://127.0.0.1:${portOf('rest-facade-gtw', START_FIRST_PORT)}/private/v1`;
  const run = randomBytes(3).toString('hex');
  const logins = Array.from({ length: USERS }, (_, i) => `bench_${run}_${i}`);
  const bodies = await inLanes(logins, 4, async (login) => {
    const body = await signUpAndWait(api, login);
    await signUpAndWait(startApi, login);
    return body;
  });
  const [login] = logins;
  const restBody = bodies[0];

  const subgraphUrl = (name: ProcessName) => `http://127.0.0.1:${portOf(name, FIRST_PORT)}/graphql`;
  await forkServer('bare-server', [String(PORTS.bare), restBody]);
  await forkServer('orchestrate-server', [String(PORTS.orchestrate), subgraphUrl('user-store-svc'), subgraphUrl('chnl-store-svc')]);
  await forkServer('hive-server', [
    String(PORTS.hive),
    ...BEHIND_ROUTER.filter((name) => name.endsWith('-store-svc')).map((name) => `${name.split('-')[0]}=${subgraphUrl(name)}`),
  ]);

  const operation = [...loadPersistedOperations().values()].find((o) => o.name === 'GetUserByLogin');
  if (!operation) throw new Error('GetUserByLogin is not persisted');
  // A token lives a minute and a bench several: each run of the subgraph target gets one with 30 s left at least.
  const identities = createIdentityTokens(signingKey('IDENTITY_SIGNING_KEY').parse(keysEnv.IDENTITY_SIGNING_KEY));
  const json = { 'content-type': 'application/json' };
  // Each target's requests ask for the users' profiles in turn.
  const inTurn = (ask: (login: string) => { path?: string; body?: string }) => {
    let next = 0;
    return { setupRequest: (request: autocannon.Request) => ({ ...request, ...ask(logins[next++ % logins.length]) }) };
  };
  const persistedBody = (login: string) =>
    JSON.stringify({
      operationName: operation.name,
      variables: { login },
      extensions: { persistedQuery: { version: 1, sha256Hash: operation.id } },
    });
  const persistedRequest = (url: string) => () => ({
    url,
    method: 'POST' as const,
    headers: json,
    body: persistedBody(login),
    requests: [inTurn((login) => ({ body: persistedBody(login) }))],
  });
  const restRequest = (url: string) => () => ({
    url: `${url}/users/${login}`,
    requests: [inTurn((login) => ({ path: `${new URL(url).pathname}/users/${login}` }))],
  });
  const subgraphQuery = 'query GetUserByLogin($login: String!) { user(login: $login) { id login displayName createdAt } }';
  const routerRequest = persistedRequest(`http://127.0.0.1:${portOf('router-gtw', FIRST_PORT)}/graphql`);
  const orchestrateRequest = persistedRequest(`http://127.0.0.1:${PORTS.orchestrate}/`);
  const hiveRequest = persistedRequest(`http://127.0.0.1:${PORTS.hive}/graphql`);
  await sameAnswers(routerRequest(), { orchestrate: orchestrateRequest(), hive: hiveRequest() });
  const targets: Target[] = [
    { name: 'rest', request: restRequest(api) },
    { name: 'rest-edge', request: restRequest(`http://127.0.0.1:${PORTS.edgeFacade}/private/v1`) },
    { name: 'start', request: restRequest(startApi) },
    { name: 'router', request: routerRequest },
    { name: 'orchestrate', request: orchestrateRequest },
    { name: 'hive', request: hiveRequest },
    {
      name: 'subgraph',
      request: async () => ({
        url: subgraphUrl('user-store-svc'),
        method: 'POST',
        headers: { ...json, 'x-platform-identity': await identities.tokenFor({ kind: 'anonymous', requestId: 'bench' }, 'user') },
        body: JSON.stringify({ query: subgraphQuery, variables: { login } }),
        requests: [inTurn((login) => ({ body: JSON.stringify({ query: subgraphQuery, variables: { login } }) }))],
      }),
    },
    { name: 'bare', request: () => ({ url: `http://127.0.0.1:${PORTS.bare}/` }) },
  ];

  const results = await measureAll(targets);
  const by = Object.fromEntries(results.map((r) => [r.name, r]));

  console.log(
    `\nGET /private/v1/users/{login}: ${CONNECTIONS} connections, ${WARMUP_S} s warm-up per target, then ${ROUNDS} rounds of ${DURATION_S} s in rotation; medians, 2 cores shared by all processes\n`,
  );
  console.log('target         req/s   (min–max)       p50 ms   p99 ms   errors');
  for (const r of results) {
    const spread = `(${r.spread[0].toFixed(0)}–${r.spread[1].toFixed(0)})`;
    console.log(
      `${r.name.padEnd(12)} ${r.rps.toFixed(0).padStart(7)}   ${spread.padEnd(14)} ${String(r.p50).padStart(7)}  ${String(r.p99).padStart(7)}  ${r.errors}`,
    );
  }
  console.log('\nCPU ms per request, by process');
  const processes = Object.keys(results[0].cpuPerRequest);
  console.log(`${'process'.padEnd(24)}${results.map((r) => r.name.padStart(12)).join('')}`);
  for (const name of processes) {
    console.log(`${name.padEnd(24)}${results.map((r) => r.cpuPerRequest[name].toFixed(3).padStart(12)).join('')}`);
  }
  const serving = (r: Measured) =>
    Object.entries(r.cpuPerRequest).reduce((sum, [name, ms]) => (name === 'bench (autocannon)' ? sum : sum + ms), 0);
  console.log(`${'all but autocannon'.padEnd(24)}${results.map((r) => serving(r).toFixed(3).padStart(12)).join('')}`);
  // The other processes (workers, relays, runners) do no work for these requests: their CPU is their idle polling
  // and heartbeats, spread over the requests of the round, so it weighs more on the slower targets.
  const subgraphs = ['user-store-svc', 'chnl-store-svc'];
  const pathOf: Record<string, string[]> = {
    rest: ['rest-facade-gtw', 'router-gtw', ...subgraphs],
    'rest-edge': ['edge-gtw', ...subgraphs],
    start: ['platform (npm start)'],
    router: ['router-gtw', ...subgraphs],
    orchestrate: ['orchestrate-server', ...subgraphs],
    hive: ['hive-server', ...subgraphs],
    subgraph: ['user-store-svc'],
    bare: ['bare-server'],
  };
  const onPath = (r: Measured) => (pathOf[r.name] ?? []).reduce((sum, name) => sum + (r.cpuPerRequest[name] ?? 0), 0);
  console.log(`${"the target's own path".padEnd(24)}${results.map((r) => onPath(r).toFixed(3).padStart(12)).join('')}`);
  const ratio = (a: string, b: string) => `${(by[a].rps / by[b].rps).toFixed(2)}x`;
  console.log('\nratios of throughput (medians)');
  console.log(`  rest / router      ${ratio('rest', 'router')}   (goal ≥ 0.85x: the facade as its own process)`);
  console.log(`  rest-edge / router ${ratio('rest-edge', 'router')}   (the facade in the router's process)`);
  console.log(`  start / rest       ${ratio('start', 'rest')}   (npm start: everything in one process)`);
  console.log(`  router / orchestrate ${ratio('router', 'orchestrate')} (the gateway's cost over the plan's two calls made by hand)`);
  console.log(`  router / hive      ${ratio('router', 'hive')}   (the router against Hive Gateway on the same subgraphs)`);
  console.log(`  router / subgraph  ${ratio('router', 'subgraph')}   (query planning, two subgraph calls, entity join)`);
  console.log(`  subgraph / bare    ${ratio('subgraph', 'bare')}   (Apollo execution and PostgreSQL)`);
  console.log(`  rest / bare        ${ratio('rest', 'bare')}`);
  console.log(
    `  p99 rest / router ${(by.rest.p99 / by.router.p99).toFixed(2)}x, rest-edge / router ${(by['rest-edge'].p99 / by.router.p99).toFixed(2)}x`,
  );
  printGoals(by, serving(by.rest));
  if (results.some((r) => r.errors > 0)) throw new Error('some requests failed: the figures above are not valid');
}

/** The goals of the HTTP path (README, Benchmark), each with its figure from this run and whether it is met. */
function printGoals(by: Record<string, Measured>, restCpuMs: number): void {
  const goals: { figure: string; value: number; unit: string; goal: string; met: boolean }[] = [
    {
      figure: 'REST route req/s / router',
      value: by.rest.rps / by.router.rps,
      unit: 'x',
      goal: '≥ 0.85x',
      met: by.rest.rps >= 0.85 * by.router.rps,
    },
    {
      figure: 'router req/s / orchestrate',
      value: by.router.rps / by.orchestrate.rps,
      unit: 'x',
      goal: '≥ 0.7x',
      met: by.router.rps >= 0.7 * by.orchestrate.rps,
    },
    { figure: 'router req/s / hive', value: by.router.rps / by.hive.rps, unit: 'x', goal: '≥ 1.0x', met: by.router.rps >= by.hive.rps },
    { figure: 'CPU ms per REST request, all processes', value: restCpuMs, unit: ' ms', goal: '≤ 5 ms', met: restCpuMs <= 5 },
    { figure: 'npm start req/s (start)', value: by.start.rps, unit: '', goal: '≥ 400', met: by.start.rps >= 400 },
    {
      figure: 'router-gtw CPU ms per router request',
      value: by.router.cpuPerRequest['router-gtw'],
      unit: ' ms',
      goal: '≤ 1.5 ms',
      met: by.router.cpuPerRequest['router-gtw'] <= 1.5,
    },
  ];
  console.log('\ngoals (chat intake: the fan-out benchmark below)');
  for (const g of goals) {
    const value = `${g.value.toFixed(g.unit === '' ? 0 : 2)}${g.unit}`;
    console.log(`  ${g.figure.padEnd(40)} ${value.padStart(9)}   goal ${g.goal.padEnd(8)}  ${g.met ? 'met' : 'unmet'}`);
  }
}

/**
 * `npm run bench` runs the HTTP and fan-out benchmarks; `npm run bench -- http`, `-- fanout` or `-- golive` one of
 * them (the go-live peak runs only when asked: it seeds 100,000 followers).
 */
async function benchmarks(): Promise<void> {
  const only = process.argv[2];
  if (only === 'golive') {
    const options = goliveOptionsFromEnv(process.env);
    printGolive(options, await runGolive(options));
    return;
  }
  if (only !== 'fanout') {
    try {
      await main();
    } finally {
      for (const child of children.splice(0)) child.kill('SIGTERM');
    }
  }
  if (only !== 'http') {
    const options = fanoutOptionsFromEnv(env);
    printFanout(options, await runFanout(options));
  }
}

benchmarks()
  .then(
    () => 0,
    (error) => {
      console.error(error);
      return 1;
    },
  )
  .then((code) => {
    for (const child of children) child.kill('SIGTERM');
    process.exitCode = code;
  });
