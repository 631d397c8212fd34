import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedKeysEnv, generateSigningKey } from '../kernel/keys';
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createKafkaBus } from '../kernel/bus/kafka';
import { namespacedBus } from '../kernel/bus/namespace';
import type { EventBus } from '../kernel/bus/port';
import { makeEvent } from '../kernel/events';
import { recreateDatabase } from '../kernel/db/admin';
import { readManifest } from '../kernel/persisted';
import { migrateDeploy } from '../scripts/migrate';
import { BEHIND_ROUTER, portOf, portsEnv } from '../bin/processes';
import type { ChatMessageCreatedData } from '../contracts/events/types';
import { chatMessagesPayload } from './fanout-payload';
import { benchKafkaEnv, percentile, profileArgv, sleep, waitForReady } from './support';
import { toolKafkaCredentials } from '../kernel/bus/credentials';

/**
 * The fan-out benchmark: N viewers in M rooms, messages published at fixed rates, publish → delivery latency and
 * delivered messages/s, for
 *   rt-rest    the real path: POST /private/v1/channels/{id}/chat/messages on edge-gtw → chat subgraph → outbox →
 *              relay → Kafka → rt-gtw → viewers (graphql-ws clients of the ChatMessages subscription)
 *   rt         rt-gtw alone: the same chat.message.created.v1 events published straight onto its Kafka topic
 *   raw        the baseline: a bare `ws` server handed the payloads over IPC, writing the same frames to as many
 *              sockets of the same graphql-ws clients (the writes alone)
 *   raw-kafka  the same bare server reading the same topic with a bare kafkajs consumer (the writes and the feed)
 * The ladders run against the same load, interleaved rate by rate.
 */
export interface OutgoingChatMessage {
  channelId: string;
  text: string;
}

/** Sends one tick's messages into the path under test. */
export type Publisher = (messages: OutgoingChatMessage[]) => Promise<void>;

export interface FanoutOptions {
  viewers: number;
  rooms: number;
  /** Messages per second over all rooms, one step each. */
  rates: number[];
  stepSeconds: number;
  kafkaBrokers: string[];
  redisUrl?: string;
  rtPort: number;
  rawPort: number;
  /** The first of the ports the real path's processes listen on, one per process of the registry (bin/processes.ts). */
  platformPort: number;
  databaseUrl: string;
}

interface Step {
  target: string;
  rate: number;
  expected: number;
  delivered: number;
  perSecond: number;
  p50: number;
  p99: number;
  cpuMsPer1000: Record<string, number>;
}

const TICK_MS = 10;
const CLOCK_TICK_MS = 10;
const entry = join(__dirname, '..', 'bin', 'platform.js');

const chatMessage = (message: OutgoingChatMessage): ChatMessageCreatedData => ({
  messageId: randomUUID(),
  channelId: message.channelId,
  senderId: '00000000-0000-4000-8000-000000000001',
  senderLogin: 'bench_sender',
  senderDisplayName: 'Bench Sender',
  text: message.text,
  replyToId: null,
  fragments: [{ type: 'text', text: message.text, emoteId: null, userId: null }],
  badges: [],
  sentAt: new Date().toISOString(),
});

export const kafkaPublisher =
  (bus: EventBus): Publisher =>
  (messages) =>
    bus.publish(
      'chat.message.created.v1',
      messages.map((m) => ({ key: m.channelId, value: JSON.stringify(makeEvent('chat.message.created.v1', chatMessage(m))) })),
    );

/** The real path: each message is one REST call of the room's broadcaster, answered 201 once stored. */
const restPublisher =
  (api: string, tokens: Map<string, string>): Publisher =>
  async (messages) => {
    await Promise.all(
      messages.map(async (m) => {
        const res = await fetch(`${api}/channels/${m.channelId}/chat/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.get(m.channelId)}`, 'content-type': 'application/json' },
          body: JSON.stringify({ text: m.text }),
        });
        if (res.status !== 201) throw new Error(`send answered ${res.status}: ${await res.text()}`);
      }),
    );
  };

/** The raw server over IPC is handed the payload rt-gtw would produce for the same message. */
const rawPublisher =
  (server: ChildProcess): Publisher =>
  async (messages) => {
    server.send(messages.map((m) => ({ room: m.channelId, payload: chatMessagesPayload(chatMessage(m)) })));
  };

/** Latencies of the frames received while a step runs; the text carries the publish time. */
class Recorder {
  samples: number[] = [];
  last = 0;
  record(text: string): void {
    const now = performance.now();
    this.samples.push(now - Number(text.slice(text.lastIndexOf(' ') + 1)));
    this.last = now;
  }
}

function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return 0;
  }
}

async function runStep(
  target: string,
  rate: number,
  seconds: number,
  roomIds: string[],
  viewersPerRoom: number,
  publish: Publisher,
  recorder: Recorder,
  pids: Record<string, number | undefined>,
): Promise<Step> {
  recorder.samples = [];
  recorder.last = 0;
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const started = performance.now();
  let sent = 0;
  let failed = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate) - sent;
    if (due > 0) {
      const at = performance.now();
      const batch = Array.from({ length: due }, (_, i) => ({
        channelId: roomIds[(sent + i) % roomIds.length],
        text: `bench ${sent + i} ${at}`,
      }));
      sent += due;
      publish(batch).catch(() => {
        failed += due;
      });
    }
    await sleep(TICK_MS);
  }
  const expected = sent * viewersPerRoom;
  const drainUntil = performance.now() + 5_000;
  while (recorder.samples.length < expected - failed * viewersPerRoom && performance.now() < drainUntil) await sleep(20);
  const cpuAfter = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const sorted = [...recorder.samples].sort((a, b) => a - b);
  const delivered = sorted.length;
  const elapsedS = ((recorder.last || performance.now()) - started) / 1000;
  return {
    target,
    rate,
    expected,
    delivered,
    perSecond: delivered / elapsedS,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    cpuMsPer1000: Object.fromEntries(
      Object.keys(pids).map((name) => [name, ((cpuAfter[name] - cpuBefore[name]) / Math.max(delivered, 1)) * 1000]),
    ),
  };
}

async function forkReady(child: ChildProcess): Promise<ChildProcess> {
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before it was ready`)));
  });
  return child;
}

interface Target {
  name: TargetName;
  publish: Publisher;
  recorder: Recorder;
  rooms: string[];
}

type TargetName = 'raw' | 'raw-kafka' | 'rt' | 'rt-rest';

/** Everything behind the router, and edge-gtw (router and facade in one process) on the facade's port. */
const PLATFORM = [...BEHIND_ROUTER, 'edge-gtw'];

/**
 * The processes of the real path, each on its own as in production, sharing rt-gtw's topic prefix; one broadcaster
 * per room, whose channel (and chat room, made from the channel's event) is the room. Chat limits are lifted: the
 * bench measures delivery, not the per-user limits.
 */
async function startRealPath(options: FanoutOptions, env: NodeJS.ProcessEnv, children: ChildProcess[]) {
  await recreateDatabase(options.databaseUrl);
  await migrateDeploy(options.databaseUrl);
  const platformEnv: Record<string, string | undefined> = {
    ...env,
    DATABASE_URL: options.databaseUrl,
    ...generatedKeysEnv(),
    OAUTH_ROUTER_CLIENT_SECRET: randomBytes(32).toString('hex'),
    LIVE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...portsEnv(options.platformPort),
    CHAT_REDIS_PREFIX: `${env.KAFKA_TOPIC_PREFIX}chat`,
    CHAT_VIEWER_MESSAGES_PER_30S: '1000000',
    CHAT_MODERATOR_MESSAGES_PER_30S: '1000000',
    // Every viewer signs up from 127.0.0.1.
    SIGNUP_ADDRESS_PER_HOUR: '1000000',
    MAIL_DIR: join(process.cwd(), '.data', 'bench-mail'),
  };
  for (const name of PLATFORM)
    children.push(fork(entry, [name], { env: platformEnv, execArgv: profileArgv(name), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  for (const name of [...BEHIND_ROUTER, 'rest-facade-gtw' as const])
    await waitForReady(`http://127.0.0.1:${portOf(name, options.platformPort)}/readyz`);

  const api = `http://127.0.0.1:${portOf('rest-facade-gtw', options.platformPort)}/private/v1`;
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const tokens = new Map<string, string>();
  for (let i = 0; i < options.rooms; i += 1) {
    const login = `fan${randomBytes(4).toString('hex')}`;
    await post('/users', { login, email: `${login}@bench.test`, password: 'bench-password' });
    const token = (await post('/sessions', { login, password: 'bench-password' })).body.accessToken as string;
    let channelId: string | undefined;
    for (let attempt = 0; !channelId; attempt += 1) {
      const user = await fetch(`${api}/users/${login}`).then((r) => r.json() as Promise<{ channel?: { id: string } }>);
      const check = user.channel ? await post(`/channels/${user.channel.id}/chat/messages`, { text: 'room check' }, token) : undefined;
      if (check?.status === 201) channelId = user.channel!.id;
      else if (attempt === 300) throw new Error(`no chat room for ${login}: ${JSON.stringify(check?.body ?? user)}`);
      else await sleep(100);
    }
    tokens.set(channelId, token);
  }
  // rt-gtw reads the bans in force from this router at start, as itself.
  const routerEnv = { ROUTER_URL: platformEnv.ROUTER_URL, SERVICE_TOKEN_SIGNING_KEY: platformEnv.SERVICE_TOKEN_SIGNING_KEY };
  return {
    api,
    tokens,
    routerEnv,
    pids: Object.fromEntries(PLATFORM.map((name, i) => [name, children[children.length - PLATFORM.length + i].pid])),
  };
}

export async function runFanout(options: FanoutOptions): Promise<Step[]> {
  const children: ChildProcess[] = [];
  const rtPrefix = `fanout${randomBytes(3).toString('hex')}.`;
  const rawPrefix = `fanoutraw${randomBytes(3).toString('hex')}.`;
  const kafka = createKafkaBus({ brokers: options.kafkaBrokers, clientId: 'bench-fanout', sasl: toolKafkaCredentials() });
  const clients: Client[] = [];
  try {
    await kafka.ensureTopics([`${rtPrefix}chat.message.created.v1`, `${rawPrefix}chat.message.created.v1`]);
    const kafkaEnv = { ...process.env, ...benchKafkaEnv(), KAFKA_BROKERS: options.kafkaBrokers.join(','), LOG_LEVEL: 'warn' };
    const realPath = await startRealPath(options, { ...kafkaEnv, KAFKA_TOPIC_PREFIX: rtPrefix, REDIS_URL: options.redisUrl }, children);
    const rt = fork(entry, ['rt-gtw'], {
      env: {
        ...kafkaEnv,
        KAFKA_TOPIC_PREFIX: rtPrefix,
        ACCESS_TOKEN_PUBLIC_KEYS: generateSigningKey().publicKeys,
        ...realPath.routerEnv,
        RT_PORT: String(options.rtPort),
        // Every anonymous viewer of the benchmark comes from 127.0.0.1, those of `rt` and of `rt-rest` alike.
        RT_MAX_ANONYMOUS_SOCKETS_PER_ADDRESS: String(2 * options.viewers + 1),
        RT_REDIS_PREFIX: `${rtPrefix}rt:`,
        ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(rt);
    const rawScript = join(__dirname, 'raw-ws-server.js');
    const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
    const raw = await forkReady(fork(rawScript, [String(options.rawPort), 'ipc'], { stdio }));
    children.push(raw);
    const rawKafka = await forkReady(
      fork(rawScript, [String(options.rawPort + 1), 'kafka'], { stdio, env: { ...kafkaEnv, KAFKA_TOPIC_PREFIX: rawPrefix } }),
    );
    children.push(rawKafka);
    await waitForReady(`http://127.0.0.1:${options.rtPort}/readyz`);
    const rtBus = namespacedBus(kafka, rtPrefix);
    const rawBus = namespacedBus(kafka, rawPrefix);

    const roomIds = Array.from({ length: options.rooms }, () => randomUUID());
    const viewersPerRoom = Math.floor(options.viewers / options.rooms);
    const hash = readManifest('realtime.v1').operations.find((op) => op.name === 'ChatMessages')!.id;
    const targets: Target[] = [
      { name: 'raw', publish: rawPublisher(raw), recorder: new Recorder(), rooms: roomIds },
      { name: 'raw-kafka', publish: kafkaPublisher(rawBus), recorder: new Recorder(), rooms: roomIds },
      { name: 'rt', publish: kafkaPublisher(rtBus), recorder: new Recorder(), rooms: roomIds },
      {
        name: 'rt-rest',
        publish: restPublisher(realPath.api, realPath.tokens),
        recorder: new Recorder(),
        rooms: [...realPath.tokens.keys()],
      },
    ];
    const [rawTarget, rawKafkaTarget, rtTarget, rtRestTarget] = targets;
    // The same graphql-ws client for every target, so the viewers' side costs the same.
    const viewer = (port: number, recorder: Recorder, channelId: string, sha256Hash: string) => {
      const client = createClient({ url: `ws://127.0.0.1:${port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
      clients.push(client);
      client.subscribe<{ chatMessages: { text: string } }>(
        { query: '', variables: { channelId }, extensions: { persistedQuery: { version: 1, sha256Hash } } },
        {
          next: (result) => recorder.record(result.data!.chatMessages.text),
          error: (error) => console.error('fan-out client error', error),
          complete: () => undefined,
        },
      );
    };
    for (const channelId of roomIds) {
      for (let i = 0; i < viewersPerRoom; i += 1) {
        viewer(options.rtPort, rtTarget.recorder, channelId, hash);
        viewer(options.rawPort, rawTarget.recorder, channelId, hash);
        viewer(options.rawPort + 1, rawKafkaTarget.recorder, channelId, hash);
      }
    }
    for (const channelId of rtRestTarget.rooms) {
      for (let i = 0; i < viewersPerRoom; i += 1) viewer(options.rtPort, rtRestTarget.recorder, channelId, hash);
    }

    const pids = {
      'rt-gtw': rt.pid,
      'raw-ws-server': raw.pid,
      'raw-ws-server kafka': rawKafka.pid,
      'bench (clients)': process.pid,
      'edge-gtw': realPath.pids['edge-gtw'],
      'chat-store-svc': realPath.pids['chat-store-svc'],
    };
    // A target is warm once a message reaches every one of its viewers: sockets open, subscriptions and consumers in.
    for (const target of targets) {
      for (let attempt = 1; ; attempt += 1) {
        const warm = await runStep(target.name, options.rates[0], 1, target.rooms, viewersPerRoom, target.publish, target.recorder, pids);
        if (warm.delivered >= warm.expected) break;
        if (attempt === 20) throw new Error(`${target.name} delivered ${warm.delivered} of ${warm.expected} warm-up frames`);
      }
    }

    const steps: Step[] = [];
    for (const rate of options.rates) {
      for (const target of targets) {
        steps.push(
          await runStep(target.name, rate, options.stepSeconds, target.rooms, viewersPerRoom, target.publish, target.recorder, pids),
        );
      }
    }
    return steps;
  } finally {
    clients.forEach((client) => void client.dispose());
    await kafka.close();
    for (const child of children) child.kill('SIGTERM');
  }
}

export function printFanout(options: FanoutOptions, steps: Step[]): void {
  const viewersPerRoom = Math.floor(options.viewers / options.rooms);
  console.log(
    `\nfan-out: ${options.viewers} viewers in ${options.rooms} rooms (${viewersPerRoom} per room), ${options.stepSeconds} s per rate, ` +
      'publish → delivery on loopback, 2 cores shared by every process and Kafka\n',
  );
  const processes = Object.keys(steps[0]?.cpuMsPer1000 ?? {});
  console.log(
    `target     msgs/s in  frames expected  delivered  delivered/s   p50 ms   p99 ms   CPU ms per 1000 frames (${processes.join(' / ')})`,
  );
  for (const s of steps) {
    const cpu = Object.values(s.cpuMsPer1000)
      .map((v) => v.toFixed(0))
      .join(' / ');
    console.log(
      `${s.target.padEnd(10)} ${String(s.rate).padStart(9)} ${String(s.expected).padStart(16)} ${String(s.delivered).padStart(10)} ${s.perSecond.toFixed(0).padStart(12)} ${s.p50.toFixed(1).padStart(8)} ${s.p99.toFixed(1).padStart(8)}   ${cpu}`,
    );
  }
  const at = (target: TargetName, rate: number) => steps.find((s) => s.target === target && s.rate === rate)!;
  console.log(`\nratios per rate, at ${options.viewers} viewers (goal: delivered/s ≥ 0.8x, p99 ≤ 1.5x of the raw baseline)`);
  console.log('  msgs/s in   rt-rest / raw: delivered/s   p99     rt / raw: delivered/s   p99     rt / raw-kafka: delivered/s   p99');
  for (const rate of options.rates) {
    const [rtRest, rt, raw, rawKafka] = [at('rt-rest', rate), at('rt', rate), at('raw', rate), at('raw-kafka', rate)];
    console.log(
      `  ${String(rate).padStart(9)}   ${(rtRest.perSecond / raw.perSecond).toFixed(2).padStart(23)}x ${(rtRest.p99 / raw.p99).toFixed(2).padStart(6)}x ` +
        `${(rt.perSecond / raw.perSecond).toFixed(2).padStart(18)}x ${(rt.p99 / raw.p99).toFixed(2).padStart(6)}x ` +
        `${(rt.perSecond / rawKafka.perSecond).toFixed(2).padStart(25)}x ${(rt.p99 / rawKafka.p99).toFixed(2).padStart(6)}x`,
    );
  }
  for (const target of ['rt-rest', 'rt'] as const) {
    const under = steps.filter((s) => s.target === target && s.p99 < 100 && s.delivered >= s.expected);
    const best = under.sort((a, b) => b.perSecond - a.perSecond)[0];
    console.log(
      best
        ? `largest ${target} load with p99 < 100 ms: ${best.rate} msgs/s in, ${best.perSecond.toFixed(0)} frames/s delivered (p99 ${best.p99.toFixed(1)} ms)`
        : `no ${target} load kept p99 under 100 ms`,
    );
  }
}

export function fanoutOptionsFromEnv(env: NodeJS.ProcessEnv): FanoutOptions {
  return {
    viewers: Number(env.BENCH_FANOUT_VIEWERS ?? 500),
    rooms: Number(env.BENCH_FANOUT_ROOMS ?? 5),
    rates: (env.BENCH_FANOUT_RATES ?? '25,50,100,200,400,800').split(',').map(Number),
    stepSeconds: Number(env.BENCH_FANOUT_STEP_SECONDS ?? 4),
    kafkaBrokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    rtPort: Number(env.BENCH_RT_PORT ?? 4707),
    rawPort: Number(env.BENCH_RAW_WS_PORT ?? 4796),
    platformPort: Number(env.BENCH_FANOUT_PLATFORM_PORT ?? 4720),
    databaseUrl: env.BENCH_FANOUT_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/platform_bench_fanout',
  };
}
