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

/**
 * The fan-out benchmark: N viewers in M rooms, messages published at fixed rates, publish → delivery latency and
 * delivered messages/s, for
 *   rt   rt-gtw on its own, fed from Kafka; viewers are graphql-ws clients of the ChatMessages subscription
 *   raw  a bare `ws` server handed the messages over IPC, writing the same frames to the same number of sockets
 * Both ladders run in one process against the same load, interleaved rate by rate. The publisher is a function:
 * today it publishes chat.message.created.v1 on Kafka as the chat domain's relay does.
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

/** What the raw server writes: the payload rt-gtw's ChatMessages selection produces for the same message. */
const rawPublisher =
  (server: ChildProcess): Publisher =>
  async (messages) => {
    server.send(
      messages.map((m) => {
        const data = chatMessage(m);
        const chatMessages = {
          id: data.messageId,
          channelId: data.channelId,
          sender: { id: data.senderId, login: data.senderLogin, displayName: data.senderDisplayName },
          text: data.text,
          fragments: data.fragments.map((f) => ({ ...f, type: f.type.toUpperCase() })),
          replyToId: null,
          badges: [],
          sentAt: data.sentAt,
        };
        return { room: m.channelId, payload: JSON.stringify({ data: { chatMessages } }) };
      }),
    );
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

export async function runFanout(options: FanoutOptions): Promise<Step[]> {
  const children: ChildProcess[] = [];
  const prefix = `fanout${randomBytes(3).toString('hex')}.`;
  const bus = namespacedBus(createKafkaBus({ brokers: options.kafkaBrokers, clientId: 'bench-fanout' }), prefix);
  const clients: Client[] = [];
  const sockets: WebSocket[] = [];
  try {
    const rt = fork(entry, ['rt-gtw'], {
      env: {
        ...process.env,
        KAFKA_BROKERS: options.kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: prefix,
        ACCESS_TOKEN_SECRET: randomBytes(32).toString('hex'),
        RT_PORT: String(options.rtPort),
        RT_REDIS_PREFIX: `${prefix}rt:`,
        LOG_LEVEL: 'warn',
        ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(rt);
    const raw = fork(join(__dirname, 'raw-ws-server.js'), [String(options.rawPort)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(raw);
    await new Promise((resolve) => raw.once('message', resolve));
    await waitForReady(`http://127.0.0.1:${options.rtPort}/readyz`);
    await bus.ensureTopics(['chat.message.created.v1']);

    const roomIds = Array.from({ length: options.rooms }, () => randomUUID());
    const viewersPerRoom = Math.floor(options.viewers / options.rooms);
    const hash = readManifest('realtime.v1').operations.find((op) => op.name === 'ChatMessages')!.id;
    const rtRecorder = new Recorder();
    const rawRecorder = new Recorder();
    let subscribed = 0;
    for (const channelId of roomIds) {
      for (let i = 0; i < viewersPerRoom; i += 1) {
        const client = createClient({ url: `ws://127.0.0.1:${options.rtPort}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
        clients.push(client);
        client.subscribe<{ chatMessages: { text: string } }>(
          { query: '', variables: { channelId }, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } },
          {
            next: (result) => rtRecorder.record(result.data!.chatMessages.text),
            error: (error) => console.error('fan-out client error', error),
            complete: () => undefined,
          },
        );
        const socket = new WebSocket(`ws://127.0.0.1:${options.rawPort}/?room=${channelId}&id=${randomUUID()}`);
        socket.on('message', (data) => rawRecorder.record((JSON.parse(String(data)).payload.data.chatMessages as { text: string }).text));
        socket.on('open', () => {
          subscribed += 1;
        });
        sockets.push(socket);
      }
    }
    while (subscribed < roomIds.length * viewersPerRoom) await sleep(50);

    const publishers = { rt: kafkaPublisher(bus), raw: rawPublisher(raw) };
    const recorders = { rt: rtRecorder, raw: rawRecorder };
    const pids = { 'rt-gtw': rt.pid, 'raw-ws-server': raw.pid, 'bench (clients)': process.pid };
    // Every rt client has subscribed once a warm-up message reaches all of them.
    for (let attempt = 1; ; attempt += 1) {
      const warm = await runStep('rt', options.rates[0], 1, roomIds, viewersPerRoom, publishers.rt, rtRecorder, pids);
      if (warm.delivered >= warm.expected) break;
      if (attempt === 20) throw new Error(`rt-gtw delivered ${warm.delivered} of ${warm.expected} warm-up frames`);
    }
    await runStep('raw', options.rates[0], 1, roomIds, viewersPerRoom, publishers.raw, rawRecorder, pids);

    const steps: Step[] = [];
    for (const rate of options.rates) {
      for (const target of ['raw', 'rt'] as const) {
        steps.push(await runStep(target, rate, options.stepSeconds, roomIds, viewersPerRoom, publishers[target], recorders[target], pids));
      }
    }
    return steps;
  } finally {
    clients.forEach((client) => void client.dispose());
    sockets.forEach((socket) => socket.terminate());
    await bus.close();
    for (const child of children) child.kill('SIGTERM');
  }
}

export function printFanout(options: FanoutOptions, steps: Step[]): void {
  const viewersPerRoom = Math.floor(options.viewers / options.rooms);
  console.log(
    `\nfan-out: ${options.viewers} viewers in ${options.rooms} rooms (${viewersPerRoom} per room), ${options.stepSeconds} s per rate, ` +
      'publish → delivery on loopback, 2 cores shared by all processes and Kafka\n',
  );
  console.log('target  msgs/s in  frames expected  delivered  delivered/s   p50 ms   p99 ms   CPU ms per 1000 frames (rt-gtw / raw / clients)');
  for (const s of steps) {
    const cpu = Object.values(s.cpuMsPer1000).map((v) => v.toFixed(0)).join(' / ');
    console.log(
      `${s.target.padEnd(6)} ${String(s.rate).padStart(10)} ${String(s.expected).padStart(16)} ${String(s.delivered).padStart(10)} ${s.perSecond.toFixed(0).padStart(12)} ${s.p50.toFixed(1).padStart(8)} ${s.p99.toFixed(1).padStart(8)}   ${cpu}`,
    );
  }
  console.log('\nratios rt / raw per rate (goal at 500 viewers: delivered/s ≥ 0.8x, p99 ≤ 1.5x)');
  for (const rate of options.rates) {
    const rt = steps.find((s) => s.target === 'rt' && s.rate === rate)!;
    const raw = steps.find((s) => s.target === 'raw' && s.rate === rate)!;
    console.log(`  ${String(rate).padStart(5)} msgs/s: delivered/s ${(rt.perSecond / raw.perSecond).toFixed(2)}x, p99 ${(rt.p99 / raw.p99).toFixed(2)}x`);
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
    rates: (env.BENCH_FANOUT_RATES ?? '20,50,100,200,400').split(',').map(Number),
    stepSeconds: Number(env.BENCH_FANOUT_STEP_SECONDS ?? 4),
    kafkaBrokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    rtPort: Number(env.BENCH_RT_PORT ?? 4707),
    rawPort: Number(env.BENCH_RAW_WS_PORT ?? 4798),
  };
}

if (require.main === module) {
  const options = fanoutOptionsFromEnv(process.env);
  runFanout(options).then(
    (steps) => printFanout(options, steps),
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
