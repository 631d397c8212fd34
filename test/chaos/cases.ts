import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { ProcessName } from '../../bin/processes';
import { deadLetterTopic } from '../../kernel/bus/consumer';
import { fromRoot } from '../../kernel/paths';
import { countEffects, idCounts, lagOf, processedEvents, publishRaw, readTopic, type Effects } from './observe';
import { loginOf, seeded, signUp, signUps, until, type Reply } from './load';
import type { Instance, Processes } from './processes';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { readManifest } from '../../kernel/persisted';
import type { PrivateServices } from './services';
import { Client as PgClient } from 'pg';
import { simulatedWebhooks } from '../../subgraphs/live/src/simulator';
import { MUX_WEBHOOK_SECRET } from './processes';
import { notifyGroup } from '../../subgraphs/ptfm/src/workers/notify.wkr';
import { searchGroup } from '../../subgraphs/ptfm/src/workers/search.wkr';
import { analysisGroup } from '../../subgraphs/ptfm/src/workers/analysis.wkr';
import { inLanes } from '../support/lanes';

export interface Settings {
  /** State changes the broker-and-worker case sends. */
  count: number;
  seed: number;
  /** How long the broker stays down each time, and PostgreSQL in its case. */
  brokerDownSeconds: number;
  postgresDownSeconds: number;
  redisDownSeconds: number;
  /** The realtime case's viewers (over two rt-gtw instances) and the messages its broadcaster sends them. */
  viewers: number;
  chatMessages: number;
  /** The first viewers are signed in, follow every live channel and hold their notifications too. */
  followers: number;
  /** Channels that go live during the realtime case, one notification each to every follower. */
  goLives: number;
  /** The least time the broker case's load lasts, so that its faults fall under load even for a small count. */
  minLoadSeconds: number;
  drainTimeoutSeconds: number;
  log: (line: string) => void;
}

export interface Outcome {
  name: string;
  sent: number;
  delivered: number;
  lost: number;
  /** Effects applied twice: a failure. */
  duplicated: number;
  /** The same event id on its topic more than once (at-least-once publishing; consumers dedupe). */
  republished: number;
  /** Answers 500 and up other than a 503 with Retry-After, and requests that got no answer. */
  errors: number;
  recoverySeconds: number;
  notes: string[];
}

export const failed = (outcome: Outcome) =>
  outcome.lost > 0 || outcome.duplicated > 0 || outcome.errors > 0 || outcome.notes.some((n) => n.startsWith('FAIL'));

interface Context {
  services: PrivateServices;
  processes: Processes;
  api: string;
  settings: Settings;
}

const run = promisify(execFile);

/** The workers a sign-up sets to work, directly or through the channel it makes: any of them may be killed. */
const WORKERS: ProcessName[] = ['chnl-provision-wkr', 'chat-provision-wkr', 'live-provision-wkr', 'paym-webhooks-wkr', 'ptfm-notify-wkr'];

/** The accounts whose every effect, in every domain, is there: the fewest of any one kind. */
const everyDomain = (effects: Effects) =>
  Math.min(effects.channels, effects.rooms, effects.chatters, effects.liveInputs, effects.payees, effects.projected);

/** Each account has its channel, room, chatter, live input, payee and copy, and no outbox holds anything unpublished. */
const drained = (effects: Effects, users: number) => effects.users === users && everyDomain(effects) === users && effects.unpublished === 0;

const describeEffects = (effects: Effects) =>
  `effects: ${effects.users} accounts, ${effects.channels} channels, ${effects.rooms} rooms, ${effects.chatters} chatters, ` +
  `${effects.liveInputs} live inputs, ${effects.payees} payees, ${effects.projected} ptfm accounts, ${effects.unpublished} unpublished`;

/** Answers that are neither a success nor a documented refusal. */
const unexpected = (replies: Reply[]) => replies.filter((r) => r.status === 0 || (r.status >= 500 && !(r.status === 503 && r.retryAfter)));

function tally(replies: Reply[]): string {
  const counts = new Map<number, number>();
  for (const reply of replies) counts.set(reply.status, (counts.get(reply.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${status || 'no answer'}×${n}`).join(' ');
}

async function waitForDrain(context: Context, prefix: string, users: number): Promise<Effects> {
  const { services, settings } = context;
  let last: Effects | undefined;
  try {
    return await until(
      async () => {
        last = await countEffects(services.postgres.url, prefix);
        return drained(last, users) && last;
      },
      settings.drainTimeoutSeconds * 1000,
      'drain',
    );
  } catch {
    return last ?? (await countEffects(services.postgres.url, prefix));
  }
}

/**
 * N sign-ups (user.account.created.v1 → chnl-provision-wkr, chat-provision-wkr, ptfm-notify-wkr; the channel each
 * makes, chnl.channel.created.v1 → chat-provision-wkr, live-provision-wkr, paym-webhooks-wkr) while the broker is
 * stopped and restarted twice and the consuming workers are SIGKILLed three times at seeded points.
 */
export async function brokerAndWorkerFaults(context: Context): Promise<Outcome> {
  const { services, processes, settings } = context;
  const random = seeded(settings.seed);
  const prefix = 'chaosbf';
  const count = settings.count;
  type Fault = { at: number; name: string; run: () => Promise<void> };
  let brokerDown = false;
  const brokerRestart = async () => {
    brokerDown = true;
    await services.kafka.stop();
    await new Promise((resolve) => setTimeout(resolve, settings.brokerDownSeconds * 1000));
    await services.kafka.resume();
    brokerDown = false;
  };
  // A worker killed while the broker is away starts again once it is back: started with no broker, it would exit,
  // and its supervisor in production would start it again until the broker answers.
  const workerKill = (worker: ProcessName, downMs: number) => async () => {
    await processes.kill(worker);
    await new Promise((resolve) => setTimeout(resolve, downMs));
    for (let tries = 1; ; tries += 1) {
      await until(async () => !brokerDown, 24 * 3600_000, 'broker back');
      try {
        await processes.start(worker);
        return;
      } catch (error) {
        // The broker went away while the worker started: like a supervisor, start it again once it is back.
        if (tries >= 5) throw error;
        settings.log(`  ${worker} did not start (${(error as Error).message}), starting it again`);
      }
    }
  };
  const brokerFaults: Fault[] = [
    { at: 0.05 + random() * 0.1, name: 'broker restart', run: brokerRestart },
    { at: 0.45 + random() * 0.1, name: 'broker restart', run: brokerRestart },
  ];
  const workerFaults: Fault[] = [0, 1, 2]
    .map(() => {
      const worker = WORKERS[Math.floor(random() * WORKERS.length)];
      return { at: 0.05 + random() * 0.85, name: `SIGKILL ${worker}`, run: workerKill(worker, Math.round(200 + random() * 1800)) };
    })
    .sort((a, b) => a.at - b.at);

  let done = 0;
  let lastFaultEnd = 0;
  const sequence = async (faults: Fault[]) => {
    for (const fault of faults) {
      await until(async () => done >= Math.floor(fault.at * count), 24 * 3600_000, fault.name);
      const began = Date.now();
      settings.log(`  ${fault.name} at ${done}/${count}`);
      await fault.run();
      lastFaultEnd = Math.max(lastFaultEnd, Date.now());
      settings.log(`  ${fault.name} over after ${((Date.now() - began) / 1000).toFixed(1)} s`);
    }
  };
  const faults = [...brokerFaults, ...workerFaults];
  let faultFailed: unknown;
  const faultsRun = Promise.all([sequence(brokerFaults), sequence(workerFaults)]).catch((error: unknown) => {
    faultFailed = error;
  });
  const replies = await signUps({
    api: context.api,
    prefix,
    count,
    concurrency: 8,
    minSeconds: settings.minLoadSeconds,
    onProgress: (n) => {
      done = n;
    },
  });
  const loadEnd = Date.now();
  await faultsRun;
  const accepted = replies.filter((r) => r.status === 201).length;
  // What the workers still had to do once the load and the faults were over: a recovery that is the drain of a
  // backlog the load built (workers slower than sign-ups) is told apart from one the faults stalled.
  const recoveryFrom = Math.max(lastFaultEnd, loadEnd);
  const atEnd = await countEffects(services.postgres.url, prefix);
  const behind = accepted - everyDomain(atEnd);
  const effects = await waitForDrain(context, prefix, Math.max(accepted, atEnd.users));
  const recoverySeconds = (Date.now() - recoveryFrom) / 1000;

  const users = idCounts(await readTopic(services.kafka.brokers, 'user.account.created.v1'), (e) =>
    String(e.data?.login).startsWith(prefix),
  );
  const channels = idCounts(await readTopic(services.kafka.brokers, 'chnl.channel.created.v1'), () => true);
  const handled = await processedEvents(services.postgres.url);
  const notes = [
    `answers: ${tally(replies)}`,
    `faults: ${faults.map((f) => f.name).join(', ')} (seed ${settings.seed})`,
    `backlog when the load and faults were over: ${behind} accounts without every effect, drained in ${recoverySeconds.toFixed(1)} s` +
      ` (${recoverySeconds > 0 ? (behind / recoverySeconds).toFixed(1) : '-'} accounts/s); at that moment ${describeEffects(atEnd)}`,
    `topics: user.account.created.v1 ${users.ids} ids (${users.repeated} twice), chnl.channel.created.v1 ${channels.ids} ids (${channels.repeated} twice)`,
    describeEffects(effects),
    `processed: ${Object.entries(handled)
      .map(([group, n]) => `${group} ${n}`)
      .join(', ')}`,
  ];
  if (faultFailed) notes.push(`FAIL: a fault could not be run: ${(faultFailed as Error).message}`);
  if (users.ids !== effects.users) notes.push(`FAIL: ${effects.users} accounts but ${users.ids} account events on the topic`);
  if (channels.ids !== effects.channels) notes.push(`FAIL: ${effects.channels} channels but ${channels.ids} channel events on the topic`);
  const sent = Math.max(accepted, effects.users);
  const reached = everyDomain(effects);
  return {
    name: 'broker and worker faults',
    sent,
    delivered: reached,
    lost: sent - reached + (accepted - Math.min(accepted, effects.users)),
    duplicated: effects.doubled,
    republished: users.repeated + channels.repeated,
    errors: unexpected(replies).length,
    recoverySeconds,
    notes,
  };
}

/** Malformed and contract-breaking messages on a consumed topic go to its `.dlt` with their reason; good ones after them are handled. */
export async function poison(context: Context): Promise<Outcome> {
  const { services, settings } = context;
  const topic = 'user.account.created.v1';
  const tag = randomUUID();
  const bad = [
    { key: `poison-json-${tag}`, value: '{"id": "not json' },
    {
      key: `poison-contract-${tag}`,
      value: JSON.stringify({
        id: randomUUID(),
        type: topic,
        occurredAt: new Date().toISOString(),
        data: { userId: 'not-a-uuid', login: 'x' },
      }),
    },
  ];
  // Every group reading the topic dead-letters each message it cannot take: chnl-provision-wkr's, chat-provision-wkr's,
  // ptfm-notify-wkr's (its projection of accounts), ptfm-search-wkr's (search's copy of accounts) and
  // ptfm-analysis-wkr's (sign-up bursts).
  const groups = [
    'chnl-provision-wkr',
    'chat-provision-wkr.user.account.created.v1',
    notifyGroup(topic),
    searchGroup(topic),
    analysisGroup(topic),
  ];
  const consumers = groups.length;
  const began = Date.now();
  await publishRaw(services.kafka.brokers, topic, bad);
  const prefix = 'chaospo';
  const good = 5;
  const replies: Reply[] = [];
  for (let index = 0; index < good; index += 1) replies.push({ index, ...(await signUp(context.api, loginOf(prefix, index), 30_000)) });
  const effects = await waitForDrain(context, prefix, good);
  const recoverySeconds = (Date.now() - began) / 1000;
  const letters = await until(
    async () => {
      const all = await readTopic(services.kafka.brokers, deadLetterTopic(topic));
      const ours = all.filter((m) => m.key?.endsWith(tag));
      return ours.length >= bad.length * consumers && ours;
    },
    settings.drainTimeoutSeconds * 1000,
    'dead letters',
  ).catch(async () => (await readTopic(services.kafka.brokers, deadLetterTopic(topic))).filter((m) => m.key?.endsWith(tag)));
  const notes = [`dead letters: ${letters.map((m) => `${m.key?.split('-')[1]}:${m.headers['x-dlt-reason']}`).join(', ')}`];
  const withReason = letters.filter(
    (m) => m.headers['x-dlt-reason'] === 'poison' && m.headers['x-dlt-error'] && m.headers['x-original-topic'] === topic,
  );
  if (withReason.length !== letters.length) notes.push('FAIL: a dead letter lacks its reason, error or original topic');

  // After a fix, dead letters are replayed (npm run dlt): a good event among them is deduplicated like any
  // redelivery, and the poison goes back to the dead-letter topic.
  const handledEvent = (await readTopic(services.kafka.brokers, topic)).find(
    (m) => m.value.includes(loginOf(prefix, 0)) && JSON.parse(m.value).data?.login === loginOf(prefix, 0),
  );
  if (handledEvent?.key) {
    const original = {
      'x-dlt-reason': 'max-attempts',
      'x-dlt-error': 'chaos: a handler bug since fixed',
      'x-original-topic': topic,
      'x-attempts': '5',
    };
    await publishRaw(services.kafka.brokers, deadLetterTopic(topic), [
      { key: handledEvent.key, value: handledEvent.value, headers: { ...handledEvent.headers, ...original } },
    ]);
  } else notes.push(`FAIL: the event of ${loginOf(prefix, 0)} is not on ${topic}`);
  const replay = await run(process.execPath, [fromRoot('dist', 'scripts', 'dlt.js'), 'replay', topic], {
    env: { ...process.env, KAFKA_BROKERS: services.kafka.brokers },
  });
  notes.push(`npm run dlt -- replay: ${replay.stdout.trim()}`);
  await until(
    async () => (await Promise.all(groups.map((g) => lagOf(services.kafka.brokers, g, topic)))).every((lag) => lag === 0),
    settings.drainTimeoutSeconds * 1000,
    'replay consumed',
  ).catch(() => notes.push('FAIL: the replayed messages were not consumed'));
  const again = (await readTopic(services.kafka.brokers, deadLetterTopic(topic))).filter((m) => m.key?.endsWith(tag));
  // A replay goes back to the topic, so every group meets each poison message again, whichever group dead-lettered it.
  const expected = bad.length * consumers * (1 + consumers);
  if (again.length !== expected) notes.push(`FAIL: ${again.length} dead letters of the poison after the replay, not ${expected}`);
  const afterReplay = await countEffects(services.postgres.url, prefix);
  if (afterReplay.channels !== good || afterReplay.doubled !== 0)
    notes.push(`FAIL: after the replay, ${afterReplay.channels} channels for ${good} accounts`);
  const handledGood = everyDomain(effects);
  const sent = bad.length * consumers + good;
  const delivered = Math.min(letters.length, bad.length * consumers) + handledGood;
  return {
    name: 'poison messages',
    sent,
    delivered,
    lost: sent - delivered,
    duplicated: Math.max(0, letters.length - bad.length * consumers) + effects.doubled,
    republished: 0,
    errors: unexpected(replies).length,
    recoverySeconds,
    notes,
  };
}

/**
 * PostgreSQL stopped for a while under sign-ups: each request answers (503 with Retry-After while it is down, never
 * a 500 or a hang), user-store-svc's readiness goes red then green, and every account committed has all its effects.
 */
export async function postgresOutage(context: Context): Promise<Outcome> {
  const { services, processes, settings } = context;
  const prefix = 'chaospg';
  const timeoutMs = 15_000;
  const readiness: { at: number; ready: boolean }[] = [];
  let watching = true;
  const watch = (async () => {
    while (watching) {
      readiness.push({ at: Date.now(), ready: await processes.ready('user-store-svc') });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const outage = { from: 0, to: 0 };
  const load = signUps({
    api: context.api,
    prefix,
    count: 8 * (settings.postgresDownSeconds + 10),
    concurrency: 4,
    minSeconds: settings.postgresDownSeconds + 10,
    timeoutMs,
  });
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  outage.from = Date.now();
  settings.log(`  PostgreSQL stopped`);
  await services.postgres.stop();
  await new Promise((resolve) => setTimeout(resolve, settings.postgresDownSeconds * 1000));
  await services.postgres.start();
  outage.to = Date.now();
  settings.log(`  PostgreSQL back after ${((outage.to - outage.from) / 1000).toFixed(1)} s`);
  const replies = await load;
  const greenAgain = await until(async () => (await processes.ready('user-store-svc')) && Date.now(), 60_000, 'readiness').catch(() => 0);
  watching = false;
  await watch;

  const accepted = replies.filter((r) => r.status === 201).length;
  const effects = await waitForDrain(context, prefix, Math.max(accepted, (await countEffects(services.postgres.url, prefix)).users));
  const afterOutage = replies.filter((r) => r.startedAt > outage.to);
  const firstGoodAfter = afterOutage.find((r) => r.status === 201);
  const notes = [
    `answers: ${tally(replies)}`,
    `answers while down: ${tally(replies.filter((r) => r.startedAt >= outage.from && r.startedAt <= outage.to))}`,
    `slowest answer ${Math.max(...replies.map((r) => r.ms))} ms (client timeout ${timeoutMs} ms)`,
    describeEffects(effects),
  ];
  const red = readiness.some((r) => !r.ready && r.at >= outage.from && r.at <= outage.to + 1_000);
  if (!red) notes.push('FAIL: user-store-svc stayed ready while PostgreSQL was down');
  if (!greenAgain) notes.push('FAIL: user-store-svc did not turn ready again');
  const recoveredAt = Math.max(greenAgain, firstGoodAfter ? firstGoodAfter.startedAt + firstGoodAfter.ms : Date.now());
  const reached = everyDomain(effects);
  const sent = Math.max(accepted, effects.users);
  return {
    name: 'PostgreSQL outage',
    sent,
    delivered: reached,
    lost: sent - reached,
    duplicated: effects.doubled,
    republished: 0,
    errors: unexpected(replies).length,
    recoverySeconds: (recoveredAt - outage.to) / 1000,
    notes,
  };
}

/** The processes that count in Redis, each of which must log a Redis outage once as it begins and once as it ends. */
const REDIS_USERS: ProcessName[] = ['user-store-svc', 'chat-store-svc', 'router-gtw'];

type Call = () => Promise<Omit<Reply, 'index'>>;

async function call(url: string, init: RequestInit = {}, timeoutMs = 15_000): Promise<Omit<Reply, 'index'>> {
  const startedAt = Date.now();
  try {
    const reply = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    await reply.arrayBuffer();
    return { status: reply.status, retryAfter: reply.headers.get('retry-after'), startedAt, ms: Date.now() - startedAt };
  } catch {
    return { status: 0, retryAfter: null, startedAt, ms: Date.now() - startedAt };
  }
}

const json = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});

/** A new account, signed in, whose channel's chat room takes messages: the broadcaster of a case. */
async function broadcaster(api: string, login: string): Promise<{ accessToken: string; channelId: string }> {
  const reply = await signUp(api, login, 15_000);
  if (reply.status !== 201) throw new Error(`sign-up of ${login} answered ${reply.status}`);
  const session = await fetch(`${api}/sessions`, json({ login, password: 'chaos-password-1' }));
  const { accessToken } = (await session.json()) as { accessToken: string };
  const channelId = await until(
    async () => {
      const user = (await (await fetch(`${api}/users/${login}`)).json()) as { channel?: { id: string } };
      const id = user.channel?.id;
      return id && (await call(`${api}/channels/${id}/chat/messages`, json({ text: 'room check' }, accessToken))).status === 201 && id;
    },
    60_000,
    `the chat room of ${login}`,
  );
  return { accessToken, channelId };
}

/**
 * Redis stopped for a while under chat messages and reads: every limit keeps limiting, counted in each instance
 * while Redis is away (README, "Redis outages"); nothing answers 5xx; no process turns unready; and each process that
 * counts in Redis logs the outage once as it begins and once as it ends, not per request.
 */
export async function redisOutage(context: Context): Promise<Outcome> {
  const { services, processes, settings, api } = context;
  const target = loginOf('chaosredis', 1);
  const { accessToken, channelId } = await broadcaster(api, loginOf('chaosredis', 0));
  const signedUp = await signUp(api, target, 15_000);
  if (signedUp.status !== 201) throw new Error(`sign-up of ${target} answered ${signedUp.status}`);

  const calls: Call[] = [
    () => call(`${api}/channels/${channelId}/chat/messages`, json({ text: `during the Redis case ${randomUUID()}` }, accessToken)),
    () => call(`${api}/users/${target}`),
    () => call(`${api}/me`, { headers: { authorization: `Bearer ${accessToken}` } }),
  ];
  const replies: Reply[] = [];
  const unready: string[] = [];
  let running = true;
  const lane = async (offset: number) => {
    for (let i = offset; running; i += 1) {
      replies.push({ index: replies.length, ...(await calls[i % calls.length]()) });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const watch = async () => {
    while (running) {
      for (const name of REDIS_USERS) if (!(await processes.ready(name))) unready.push(`${name} at ${new Date().toISOString()}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const load = Promise.all([lane(0), lane(1), lane(2), watch()]);
  await new Promise((resolve) => setTimeout(resolve, 3_000));

  const outage = { from: Date.now(), to: 0 };
  settings.log('  Redis stopped');
  await services.redis.stop();
  // Wrong passwords for one account while Redis is away: the account's limit (5 failures) still locks it.
  const guesses: number[] = [];
  for (let i = 0; i < 6; i += 1) guesses.push((await call(`${api}/sessions`, json({ login: target, password: `wrong-${i}` }))).status);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, settings.redisDownSeconds * 1000 - (Date.now() - outage.from))));
  await services.redis.start();
  outage.to = Date.now();
  settings.log(`  Redis back after ${((outage.to - outage.from) / 1000).toFixed(1)} s`);
  const logged = (name: ProcessName, message: string) =>
    processes
      .logText(name)
      .split('\n')
      .filter((line) => line.includes(`"msg":"${message}`)).length;
  const recoveredAt = await until(
    async () => REDIS_USERS.every((name) => logged(name, 'Redis available again') > 0) && Date.now(),
    30_000,
    'every process back on Redis',
  ).catch(() => 0);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  running = false;
  await load;

  const notes = [
    `answers: ${tally(replies)}`,
    `answers while down: ${tally(replies.filter((r) => r.startedAt >= outage.from && r.startedAt <= outage.to))}`,
    `wrong passwords while down: ${guesses.join(' ')}`,
    `outage logged (began/ended): ${REDIS_USERS.map((n) => `${n} ${logged(n, 'Redis unavailable')}/${logged(n, 'Redis available again')}`).join(', ')}`,
  ];
  if (guesses.slice(0, 5).some((status) => status !== 401) || guesses[5] !== 429) {
    notes.push('FAIL: the account was not locked after 5 wrong passwords while Redis was away');
  }
  for (const name of REDIS_USERS) {
    if (logged(name, 'Redis unavailable') !== 1 || logged(name, 'Redis available again') !== 1) {
      notes.push(`FAIL: ${name} did not log the outage exactly once as it began and once as it ended`);
    }
  }
  if (unready.length) notes.push(`FAIL: unready during the Redis outage: ${unready.slice(0, 5).join(', ')}`);
  if (!recoveredAt) notes.push('FAIL: not every process counted in Redis again within 30 s');
  const answered = replies.filter((r) => r.status !== 0);
  return {
    name: 'Redis outage',
    sent: replies.length,
    delivered: answered.length,
    lost: replies.length - answered.length,
    duplicated: 0,
    republished: 0,
    errors: replies.filter((r) => r.status >= 500).length,
    recoverySeconds: ((recoveredAt || Date.now()) - outage.to) / 1000,
    notes,
  };
}

/** A notification as the realtime frame and the inbox give it: enough to order them. */
interface Seen {
  id: string;
  createdAt: string;
}

const newer = (a: Seen, b: Seen | undefined) => !b || a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);

/** Hashes of the persisted realtime.v1 operations the viewers subscribe with. */
interface Operations {
  chat: string;
  notifications: string;
}

/** How many times a viewer asks for one page before it gives up on that catch-up. */
const PAGE_ATTEMPTS = 10;

/**
 * A viewer of a room as a client app is: graphql-ws with retries, and the room's history after a reconnect. A
 * signed-in viewer also holds its notifications and, after a reconnect, asks its inbox for what came after the
 * newest one it had shown (`newerThan`).
 */
class Viewer {
  /** Every message id shown, socket or history, once each. */
  readonly shown = new Set<string>();
  /** Ids that came twice over the sockets: rt-gtw delivered a message twice. */
  socketDuplicates = 0;
  /** Ids the history gave that a socket had shown already, or the other way round: hidden, as an app would. */
  overlaps = 0;
  /** Every notification id shown, socket or inbox, once each; and those only the inbox gave. */
  readonly notifications = new Set<string>();
  readonly fromInbox = new Set<string>();
  notificationDuplicates = 0;
  notificationOverlaps = 0;
  connects = 0;
  lastConnectedAt = 0;
  private lastId: string | undefined;
  /** The last message shown when the socket dropped, until the gap after it is filled. */
  private anchor: string | undefined;
  private readonly socketIds = new Set<string>();
  private newest: Seen | undefined;
  /** The socket dropped and no notification came over a new one yet; `inboxAnchor` the newest shown when it dropped. */
  private inboxGap = false;
  private inboxAnchor: string | undefined;
  private readonly socketNotifications = new Set<string>();
  /** Every answer to a history or inbox page, retries included. */
  readonly pages: Reply[] = [];
  readonly client: Client;

  constructor(
    urls: () => string,
    private readonly api: string,
    private readonly channelId: string,
    operations: Operations,
    private readonly accessToken?: string,
  ) {
    this.client = createClient({
      url: urls,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 30,
      retryWait: async () => new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 700)),
      shouldRetry: () => true,
      connectionParams: accessToken ? { authorization: `Bearer ${accessToken}` } : undefined,
    });
    this.client.on('closed', () => {
      this.anchor ??= this.lastId;
      if (!this.inboxGap) {
        this.inboxGap = true;
        this.inboxAnchor = this.newest?.id;
      }
    });
    // At once after a reconnect, and again on its first frame: only then is the new subscription surely seated, so
    // what was said between the first look at the history and that moment is filled too.
    this.client.on('connected', () => {
      this.connects += 1;
      this.lastConnectedAt = Date.now();
      if (this.connects > 1) {
        void this.catchUp(this.anchor);
        if (accessToken) void this.catchUpInbox(this.inboxAnchor);
      }
    });
    const persisted = (hash: string) => ({ version: 1, sha256Hash: hash });
    this.client.subscribe<{ chatMessages: { id: string } }>(
      { query: '', variables: { channelId }, extensions: { persistedQuery: persisted(operations.chat) } },
      {
        next: ({ data }) => {
          const id = data?.chatMessages.id;
          if (!id) return;
          if (this.socketIds.has(id)) this.socketDuplicates += 1;
          this.socketIds.add(id);
          const anchor = this.anchor;
          this.anchor = undefined;
          this.show(id);
          if (this.connects > 1 && anchor) void this.catchUp(anchor);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    if (!accessToken) return;
    this.client.subscribe<{ notifications: Seen }>(
      { query: '', variables: {}, extensions: { persistedQuery: persisted(operations.notifications) } },
      {
        next: ({ data }) => {
          const notification = data?.notifications;
          if (!notification) return;
          if (this.socketNotifications.has(notification.id)) this.notificationDuplicates += 1;
          this.socketNotifications.add(notification.id);
          const gap = this.inboxGap && this.connects > 1;
          const anchor = this.inboxAnchor;
          this.inboxGap = false;
          this.showNotification(notification);
          if (gap) void this.catchUpInbox(anchor);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
  }

  private show(id: string): void {
    if (this.shown.has(id)) {
      this.overlaps += 1;
      return;
    }
    this.shown.add(id);
    this.lastId = id;
  }

  private showNotification(notification: Seen, inbox = false): void {
    if (this.notifications.has(notification.id)) {
      this.notificationOverlaps += 1;
      return;
    }
    this.notifications.add(notification.id);
    if (inbox) this.fromInbox.add(notification.id);
    if (newer(notification, this.newest)) this.newest = notification;
  }

  /** What the room said since `anchor`: pages of history, newest first, back to it. */
  private async catchUp(anchor: string | undefined): Promise<void> {
    const missed: string[] = [];
    let before: string | undefined;
    for (let page = 0; page < 20; page += 1) {
      const query = new URLSearchParams({ first: '100', ...(before ? { before } : {}) });
      const reply = await this.page(`${this.api}/channels/${this.channelId}/chat/messages?${query}`);
      if (!reply?.ok) return;
      const body = (await reply.json()) as { data: { id: string }[]; pagination: { cursor?: string } };
      const at = body.data.findIndex((m) => m.id === anchor);
      missed.push(...body.data.slice(0, at === -1 ? undefined : at).map((m) => m.id));
      if (at !== -1 || !body.pagination.cursor) break;
      before = body.pagination.cursor;
    }
    for (const id of missed.reverse()) this.show(id);
  }

  /** The notifications newer than `anchor` (the whole inbox without one), as the inbox pages them. */
  private async catchUpInbox(anchor: string | undefined): Promise<void> {
    const missed: Seen[] = [];
    let after: string | undefined;
    for (let page = 0; page < 20; page += 1) {
      const query = new URLSearchParams({ first: '100', ...(anchor ? { newerThan: anchor } : {}), ...(after ? { after } : {}) });
      const reply = await this.page(`${this.api}/me/notifications?${query}`, { authorization: `Bearer ${this.accessToken}` });
      if (!reply?.ok) return;
      const body = (await reply.json()) as { data: Seen[]; pagination: { cursor?: string } };
      missed.push(...body.data);
      if (!body.pagination.cursor) break;
      after = body.pagination.cursor;
    }
    for (const notification of missed.reverse()) this.showNotification(notification, true);
  }

  /**
   * A page as a client app asks for one: an answer the server says may succeed later (429, 503, no answer, another
   * 5xx) is asked again after its Retry-After, or after a second, plus a jitter that doubles with each attempt (up
   * to 8 s) so that a herd of reconnected viewers spreads out; every answer is kept for the case's figures.
   */
  private async page(url: string, headers?: Record<string, string>): Promise<Response | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      const startedAt = Date.now();
      const reply = await fetch(url, { headers }).catch(() => undefined);
      const retryAfter = reply?.headers.get('retry-after') ?? null;
      this.pages.push({ index: this.pages.length, status: reply?.status ?? 0, retryAfter, startedAt, ms: Date.now() - startedAt });
      const transient = !reply || reply.status === 429 || reply.status >= 500;
      if (!transient || attempt === PAGE_ATTEMPTS) return reply;
      await reply?.arrayBuffer();
      const jitter = Math.random() * 1000 * Math.min(2 ** (attempt - 1), 8);
      await new Promise((resolve) => setTimeout(resolve, (Number(retryAfter) || 1) * 1000 + jitter));
    }
  }
}

/** A channel that goes live when told, through the provider's signed webhooks as `npm run live -- simulate` sends them. */
async function liveChannel(api: string, databaseUrl: string, login: string): Promise<{ channelId: string; inputId: string }> {
  const reply = await signUp(api, login, 15_000);
  if (reply.status !== 201) throw new Error(`sign-up of ${login} answered ${reply.status}`);
  return until(
    async () => {
      const user = (await (await fetch(`${api}/users/${login}`)).json()) as { channel?: { id: string } };
      const channelId = user.channel?.id;
      if (!channelId) return undefined;
      const db = new PgClient({ connectionString: databaseUrl });
      await db.connect();
      const input = await db
        .query<{ provider_input_id: string }>('SELECT provider_input_id FROM live.live_input WHERE channel_id = $1', [channelId])
        .finally(() => db.end());
      const inputId = input.rows[0]?.provider_input_id;
      return inputId ? { channelId, inputId } : undefined;
    },
    60_000,
    `the live input of ${login}`,
  );
}

/**
 * Sends a go-live's webhooks as Mux does: each until it is acknowledged, a 503 tried again after its Retry-After
 * (Mux retries any answer but a 2xx); every answer is returned, in order.
 */
async function goLive(webhookUrl: string, inputId: string): Promise<number[]> {
  const statuses: number[] = [];
  for (const { body, signature } of simulatedWebhooks('start', inputId, MUX_WEBHOOK_SECRET)) {
    for (let attempt = 1; ; attempt += 1) {
      const reply = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'mux-signature': signature },
        body,
      });
      await reply.arrayBuffer();
      statuses.push(reply.status);
      const retryAfter = Number(reply.headers.get('retry-after'));
      if (reply.status !== 503 || !retryAfter || attempt === 3) break;
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    }
  }
  return statuses;
}

/**
 * Followers of every live channel, signed in: `count` accounts, each following each channel, and their access
 * tokens once ptfm-notify-wkr's projection has every follow (a go-live reaches the followers it knows).
 */
async function followers(
  api: string,
  databaseUrl: string,
  count: number,
  channelIds: string[],
): Promise<{ userId: string; token: string }[]> {
  const prefix = 'chaosfo';
  const replies = await signUps({ api, prefix, count, concurrency: 8 });
  const refused = replies.filter((r) => r.status !== 201);
  if (refused.length) throw new Error(`follower sign-ups answered ${tally(refused)}`);
  const signedIn = await inLanes(replies, 8, async (reply) => {
    const session = await fetch(`${api}/sessions`, json({ login: loginOf(prefix, reply.index), password: 'chaos-password-1' }));
    if (session.status !== 201) throw new Error(`sign-in of ${loginOf(prefix, reply.index)} answered ${session.status}`);
    const { accessToken } = (await session.json()) as { accessToken: string };
    const me = (await (await fetch(`${api}/me`, { headers: { authorization: `Bearer ${accessToken}` } })).json()) as { id: string };
    return { userId: me.id, token: accessToken };
  });
  const follows = signedIn.flatMap((follower) => channelIds.map((channelId) => ({ follower, channelId })));
  await inLanes(follows, 8, async ({ follower, channelId }) => {
    const reply = await fetch(`${api}/channels/${channelId}/follow`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${follower.token}` },
    });
    await reply.arrayBuffer();
    if (!reply.ok) throw new Error(`follow of ${channelId} answered ${reply.status}`);
  });
  await until(
    async () => {
      const db = new PgClient({ connectionString: databaseUrl });
      await db.connect();
      const { rows } = await db
        .query<{ n: number }>('SELECT count(*)::int AS n FROM ptfm.follower WHERE active AND channel_id = ANY($1::uuid[])', [channelIds])
        .finally(() => db.end());
      return rows[0].n === follows.length;
    },
    120_000,
    'every follow projected in ptfm',
  );
  return signedIn;
}

/** The notifications written for each user: what each must have shown. */
async function inboxes(databaseUrl: string, userIds: string[]): Promise<Map<string, string[]>> {
  const db = new PgClient({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db
    .query<{ user_id: string; id: string }>('SELECT user_id::text, id::text FROM ptfm.notification WHERE user_id = ANY($1::uuid[])', [
      userIds,
    ])
    .finally(() => db.end());
  const byUser = new Map<string, string[]>(userIds.map((id) => [id, []]));
  for (const row of rows) byUser.get(row.user_id)?.push(row.id);
  return byUser;
}

/**
 * An rt-gtw instance SIGKILLed under its viewers while the broadcaster talks and followed channels go live: its
 * viewers reconnect (graphql-ws retries, the balancer sending them to an instance that answers) and catch up from
 * the room's history after the last message they saw, and from their inbox after the newest notification they saw;
 * every viewer ends with every message and every notification written for it, and no socket showed one twice.
 */
export async function realtimeKill(context: Context): Promise<Outcome> {
  const { processes, services, settings, api } = context;
  const databaseUrl = services.postgres.url;
  const { accessToken, channelId } = await broadcaster(api, loginOf('chaosrt', 0));
  const live = await inLanes(
    Array.from({ length: settings.goLives }, (_, i) => loginOf('chaosgl', i)),
    4,
    (login) => liveChannel(api, databaseUrl, login),
  );
  const fans = await followers(
    api,
    databaseUrl,
    Math.min(settings.followers, settings.viewers),
    live.map((l) => l.channelId),
  );
  const second = await processes.another('rt-gtw');
  const instances: Instance[] = ['rt-gtw', second];
  for (const instance of instances) await processes.start(instance);
  const killed = instances[0];
  const dead = new Set<Instance>();
  const manifest = readManifest('realtime.v1').operations;
  const operations = {
    chat: manifest.find((op) => op.name === 'ChatMessages')?.id,
    notifications: manifest.find((op) => op.name === 'Notifications')?.id,
  };
  if (!operations.chat || !operations.notifications) throw new Error('ChatMessages or Notifications is not persisted');
  // The balancer: each viewer starts on its own instance and, once that one is gone, is sent to one that is not.
  // The first viewers are the followers, signed in, half of them on each instance.
  const viewers = Array.from({ length: settings.viewers }, (_, i) => {
    let turn = i;
    return new Viewer(
      () => {
        const alive = instances.filter((instance) => !dead.has(instance));
        return `${processes.url(alive[turn++ % alive.length]).replace(/^http/, 'ws')}/graphql`;
      },
      api,
      channelId,
      operations as Operations,
      fans[i]?.token,
    );
  });
  const onKilled = viewers.filter((_, i) => i % instances.length === 0);
  const following = viewers.slice(0, fans.length);
  await until(async () => viewers.every((v) => v.connects === 1) && true, 60_000, 'every viewer connected');
  // graphql-ws has no acknowledgement of a subscribe: a moment for both instances to seat every viewer.
  await new Promise((resolve) => setTimeout(resolve, 2_000));

  // The go-lives: one well before the kill, one just before it (its fan-out reaches the killed instance's viewers
  // while they reconnect), one just after, and the others spread over the rest.
  const killAt = Math.floor(settings.chatMessages / 3);
  const rest = settings.goLives - 3;
  const goLiveAt = new Map<number, number>([
    [Math.max(0, killAt - 9), 0],
    [killAt, 1],
    [killAt + 3, 2],
    ...Array.from(
      { length: rest },
      (_, k) => [killAt + 6 + Math.floor(((k + 1) * (settings.chatMessages - killAt - 9)) / (rest + 1)), 3 + k] as [number, number],
    ),
  ]);
  const webhookUrl = `${processes.url('rest-facade-gtw')}/webhooks/v1/live/mux`;
  const webhookStatuses: number[] = [];
  const sent: string[] = [];
  const replies: Reply[] = [];
  let killedAt = 0;
  // The broadcaster's limit is 100 messages per 30 s: three a second stays under it.
  for (let i = 0; i < settings.chatMessages; i += 1) {
    const due = Date.now() + 333;
    const reply = await fetch(`${api}/channels/${channelId}/chat/messages`, json({ text: `rt case ${i}` }, accessToken));
    replies.push({ index: i, status: reply.status, retryAfter: reply.headers.get('retry-after'), startedAt: Date.now(), ms: 0 });
    if (reply.status === 201) sent.push(((await reply.json()) as { id: string }).id);
    else await reply.arrayBuffer();
    const going = goLiveAt.get(i);
    if (going !== undefined) {
      settings.log(`  ${loginOf('chaosgl', going)} goes live at message ${i}`);
      webhookStatuses.push(...(await goLive(webhookUrl, live[going].inputId)));
    }
    if (i === killAt) {
      settings.log(`  SIGKILL ${killed} at message ${i} under ${onKilled.length} of ${viewers.length} viewers`);
      dead.add(killed);
      killedAt = Date.now();
      await processes.kill(killed);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
  }
  const expectedNotifications = fans.length * settings.goLives;
  let written = new Map<string, string[]>();
  const everyone = await until(
    async () => {
      written = await inboxes(
        databaseUrl,
        fans.map((f) => f.userId),
      );
      const total = [...written.values()].reduce((sum, ids) => sum + ids.length, 0);
      const notified = following.every((v, i) => written.get(fans[i].userId)?.every((id) => v.notifications.has(id)));
      return total === expectedNotifications && notified && viewers.every((v) => sent.every((id) => v.shown.has(id))) && Date.now();
    },
    30_000,
    'every viewer with every message and notification',
  ).catch(() => 0);
  const reconnected = Math.max(...onKilled.map((v) => v.lastConnectedAt));
  for (const viewer of viewers) await viewer.client.dispose();

  const pages = viewers.flatMap((v) => v.pages);
  const shown = viewers.reduce((sum, v) => sum + sent.filter((id) => v.shown.has(id)).length, 0);
  const notified = following.reduce(
    (sum, v, i) => sum + (written.get(fans[i].userId) ?? []).filter((id) => v.notifications.has(id)).length,
    0,
  );
  const writtenCount = [...written.values()].reduce((sum, ids) => sum + ids.length, 0);
  const notificationDuplicates = following.reduce((sum, v) => sum + v.notificationDuplicates, 0);
  const followersKilled = following.filter((_, i) => i % instances.length === 0);
  const notes = [
    `messages: ${tally(replies)}; ${viewers.length} viewers, ${onKilled.length} on the killed instance`,
    `reconnected: ${onKilled.filter((v) => v.connects > 1).length} of ${onKilled.length}, the last ${((reconnected - killedAt) / 1000).toFixed(1)} s after the kill`,
    `history overlaps hidden: ${viewers.reduce((sum, v) => sum + v.overlaps, 0)}`,
    `history and inbox pages: ${tally(pages)}`,
    `chat: sent ${sent.length * viewers.length}, shown ${shown}, socket duplicates ${viewers.reduce((sum, v) => sum + v.socketDuplicates, 0)}`,
    `go-live webhooks: ${webhookStatuses.join(' ')}`,
    `notifications: ${settings.goLives} go-lives × ${fans.length} followers (${followersKilled.length} on the killed instance); ` +
      `written ${writtenCount} of ${expectedNotifications}, shown ${notified}, socket duplicates ${notificationDuplicates}, ` +
      `from the inbox (newerThan) ${following.reduce((sum, v) => sum + v.fromInbox.size, 0)} ` +
      `(${followersKilled.reduce((sum, v) => sum + v.fromInbox.size, 0)} to viewers of the killed instance), ` +
      `inbox overlaps hidden ${following.reduce((sum, v) => sum + v.notificationOverlaps, 0)}`,
  ];
  if (onKilled.some((v) => v.connects < 2)) notes.push('FAIL: a viewer of the killed instance never reconnected');
  if (webhookStatuses.some((status) => status >= 300 && status !== 503)) notes.push('FAIL: a go-live webhook was refused');
  if (writtenCount !== expectedNotifications) notes.push(`FAIL: ${writtenCount} notifications written, not ${expectedNotifications}`);
  if (!everyone) notes.push('FAIL: not every viewer had every message and notification within 30 s of the last message');
  const sentAll = sent.length * viewers.length + expectedNotifications;
  return {
    name: 'rt-gtw killed under its viewers',
    sent: sentAll,
    delivered: shown + notified,
    lost: sentAll - shown - notified,
    duplicated: viewers.reduce((sum, v) => sum + v.socketDuplicates, 0) + notificationDuplicates,
    republished: 0,
    errors: unexpected(replies).length + unexpected(pages).length,
    recoverySeconds: (reconnected - killedAt) / 1000,
    notes,
  };
}

export const CASES = { broker: brokerAndWorkerFaults, poison, postgres: postgresOutage, redis: redisOutage, realtime: realtimeKill };
