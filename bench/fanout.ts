import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createKafkaBus } from '../kernel/bus/kafka';
import { namespacedBus } from '../kernel/bus/namespace';
import type { EventBus } from '../kernel/bus/port';
import { makeEvent } from '../kernel/events';
import { readManifest } from '../kernel/persisted';
import type { ChatMessageCreatedData } from '../contracts/events/types';
import { chatMessagesPayload } from './fanout-payload';

/**
 * The fan-out benchmark: N viewers in M rooms, messages published at fixed rates, publish → delivery latency and
 * delivered messages/s, for
 *   rt         rt-gtw on its own, fed from Kafka; viewers are graphql-ws clients of the ChatMessages subscription
 *   raw        the baseline: a bare `ws` server handed the payloads over IPC, writing the same frames to as many
 *              sockets of the same graphql-ws clients (the writes alone)
 *   raw-kafka  the same bare server reading the same topic with a bare kafkajs consumer (the writes and the feed)
 * The ladders run against the same load, interleaved rate by rate. The publisher is a function: today it publishes
 * chat.message.created.v1 on Kafka as the chat domain's relay does (REST send → chat subgraph → Kafka once merged).
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

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
      const batch = Array.from({ length: due }, (_, i) => ({ channelId: roomIds[(sent + i) % roomIds.length], text: `bench ${sent + i} ${at}` }));
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
    cpuMsPer1000: Object.fromEntries(Object.keys(pids).map((name) => [name, ((cpuAfter[name] - cpuBefore[name]) / Math.max(delivered, 1)) * 1000])),
  };
}

async function waitForReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fetch(url).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await sleep(200);
  }
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
}

type TargetName = 'raw' | 'raw-kafka' | 'rt';

export async function runFanout(options: FanoutOptions): Promise<Step[]> {
  const children: ChildProcess[] = [];
  const rtPrefix = `fanout${randomBytes(3).toString('hex')}.`;
  const rawPrefix = `fanoutraw${randomBytes(3).toString('hex')}.`;
  const kafka = createKafkaBus({ brokers: options.kafkaBrokers, clientId: 'bench-fanout' });
  const clients: Client[] = [];
  try {
    await kafka.ensureTopics([`${rtPrefix}chat.message.created.v1`, `${rawPrefix}chat.message.created.v1`]);
    const kafkaEnv = { ...process.env, KAFKA_BROKERS: options.kafkaBrokers.join(','), LOG_LEVEL: 'warn' };
    const rt = fork(entry, ['rt-gtw'], {
      env: {
        ...kafkaEnv,
        KAFKA_TOPIC_PREFIX: rtPrefix,
        ACCESS_TOKEN_SECRET: randomBytes(32).toString('hex'),
        RT_PORT: String(options.rtPort),
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
      { name: 'raw', publish: rawPublisher(raw), recorder: new Recorder() },
      { name: 'raw-kafka', publish: kafkaPublisher(rawBus), recorder: new Recorder() },
      { name: 'rt', publish: kafkaPublisher(rtBus), recorder: new Recorder() },
    ];
    const [rawTarget, rawKafkaTarget, rtTarget] = targets;
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

    const pids = { 'rt-gtw': rt.pid, 'raw-ws-server': raw.pid, 'raw-ws-server kafka': rawKafka.pid, 'bench (clients)': process.pid };
    // A target is warm once a message reaches every one of its viewers: sockets open, subscriptions and consumers in.
    for (const target of targets) {
      for (let attempt = 1; ; attempt += 1) {
        const warm = await runStep(target.name, options.rates[0], 1, roomIds, viewersPerRoom, target.publish, target.recorder, pids);
        if (warm.delivered >= warm.expected) break;
        if (attempt === 20) throw new Error(`${target.name} delivered ${warm.delivered} of ${warm.expected} warm-up frames`);
      }
    }

    const steps: Step[] = [];
    for (const rate of options.rates) {
      for (const target of targets) {
        steps.push(await runStep(target.name, rate, options.stepSeconds, roomIds, viewersPerRoom, target.publish, target.recorder, pids));
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
  console.log(`target     msgs/s in  frames expected  delivered  delivered/s   p50 ms   p99 ms   CPU ms per 1000 frames (${processes.join(' / ')})`);
  for (const s of steps) {
    const cpu = Object.values(s.cpuMsPer1000).map((v) => v.toFixed(0)).join(' / ');
    console.log(
      `${s.target.padEnd(10)} ${String(s.rate).padStart(9)} ${String(s.expected).padStart(16)} ${String(s.delivered).padStart(10)} ${s.perSecond.toFixed(0).padStart(12)} ${s.p50.toFixed(1).padStart(8)} ${s.p99.toFixed(1).padStart(8)}   ${cpu}`,
    );
  }
  const at = (target: TargetName, rate: number) => steps.find((s) => s.target === target && s.rate === rate)!;
  console.log(`\nratios per rate, at ${options.viewers} viewers (goal: delivered/s ≥ 0.8x, p99 ≤ 1.5x of the raw baseline)`);
  console.log('  msgs/s in   rt / raw: delivered/s   p99     rt / raw-kafka: delivered/s   p99');
  for (const rate of options.rates) {
    const [rt, raw, rawKafka] = [at('rt', rate), at('raw', rate), at('raw-kafka', rate)];
    console.log(
      `  ${String(rate).padStart(9)}   ${(rt.perSecond / raw.perSecond).toFixed(2).padStart(18)}x ${(rt.p99 / raw.p99).toFixed(2).padStart(6)}x ` +
        `${(rt.perSecond / rawKafka.perSecond).toFixed(2).padStart(25)}x ${(rt.p99 / rawKafka.p99).toFixed(2).padStart(6)}x`,
    );
  }
  const under = steps.filter((s) => s.target === 'rt' && s.p99 < 100 && s.delivered >= s.expected);
  const best = under.sort((a, b) => b.perSecond - a.perSecond)[0];
  console.log(
    best
      ? `\nlargest rt load with p99 < 100 ms: ${best.rate} msgs/s in, ${best.perSecond.toFixed(0)} frames/s delivered (p99 ${best.p99.toFixed(1)} ms)`
      : '\nno rt load kept p99 under 100 ms',
  );
}

export function fanoutOptionsFromEnv(env: NodeJS.ProcessEnv): FanoutOptions {
  return {
    viewers: Number(env.BENCH_FANOUT_VIEWERS ?? 500),
    rooms: Number(env.BENCH_FANOUT_ROOMS ?? 5),
    rates: (env.BENCH_FANOUT_RATES ?? '100,200,400,800').split(',').map(Number),
    stepSeconds: Number(env.BENCH_FANOUT_STEP_SECONDS ?? 4),
    kafkaBrokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    rtPort: Number(env.BENCH_RT_PORT ?? 4707),
    rawPort: Number(env.BENCH_RAW_WS_PORT ?? 4796),
  };
}
