import {
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Admin,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { consumerLag } from '../metrics';
import './kafkajs-request-queue';
import type { Logger } from 'pino';
import type { EventBus, IncomingMessage, OutgoingMessage, SubscribeOptions, Subscription } from './port';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /** kafkajs's own messages go here at warn level; without a logger they are dropped. */
  logger?: Logger;
  /** The principal this client authenticates as (SASL/SCRAM-SHA-256); none for a broker without authentication. */
  sasl?: KafkaCredentials;
  /** Partitions of the topics ensureTopics creates. */
  partitions?: number;
  consumer?: {
    /** Also the longest a handler may run before the broker considers the member dead. */
    sessionTimeoutMs?: number;
    heartbeatIntervalMs?: number;
    rebalanceTimeoutMs?: number;
    /** How long an idle fetch waits for data; an idle member notices a rebalance only between fetches. */
    maxWaitTimeMs?: number;
    /** subscribe() fails when the member has not joined its group and fetched within this time. */
    joinTimeoutMs?: number;
  };
}

export interface KafkaCredentials {
  username: string;
  password: string;
}

const redeliveryDelayMs = (failures: number): number => Math.min(100 * 2 ** (failures - 1), 10_000);
/**
 * How long a call the broker refuses with a retriable error is tried again. Topics just created are not at once in
 * every metadata answer: a fresh broker given the platform's few hundred topics by a dozen processes starting
 * together answered "does not host this topic-partition" to a worker's subscribe for longer than the 2.5 s of
 * five tries, and the worker failed to start.
 */
const RETRIABLE_FOR_MS = 30_000;
const retriableDelayMs = (tries: number): number => Math.min(250 * 2 ** (tries - 1), 2_000);
/**
 * How long a consumer holds what it handled before committing it, within a batch; a batch's end commits at once.
 * A commit per message cost a broker round trip per message, which held a group's drain of a backlog to the speed
 * of that round trip; what a crash leaves uncommitted is delivered again, and consumers deduplicate on the event id.
 */
const COMMIT_INTERVAL_MS = 1_000;
/** What one send may carry, under the broker's default message.max.bytes with room for the batch's overhead. */
const MAX_SEND_BYTES = 900_000;

/** Consecutive runs of messages of at most `maxBytes` each (a larger message goes alone). */
export function chunksOf(messages: OutgoingMessage[], maxBytes: number): OutgoingMessage[][] {
  const chunks: OutgoingMessage[][] = [];
  let chunk: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size =
      Buffer.byteLength(message.value) +
      Buffer.byteLength(message.key) +
      Object.entries(message.headers ?? {}).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/**
 * The event bus on Apache Kafka. Each subscription is its own kafkajs consumer (its own group member), so
 * stopping one never disturbs another. Offsets are committed one message at a time, right after its handler
 * resolves; a handler that throws gets the same message again after a growing delay, and the other partitions
 * of the member go on meanwhile.
 */
export function createKafkaBus(options: KafkaBusOptions): EventBus {
  const { logger } = options;
  const partitions = options.partitions ?? 3;
  const consumerTimings = {
    sessionTimeout: options.consumer?.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: options.consumer?.heartbeatIntervalMs ?? 1_000,
    rebalanceTimeout: options.consumer?.rebalanceTimeoutMs ?? 10_000,
    maxWaitTimeInMs: options.consumer?.maxWaitTimeMs ?? 500,
  };
  const joinTimeoutMs = options.consumer?.joinTimeoutMs ?? 60_000;

  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logger ? KafkaLogLevel.WARN : KafkaLogLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => routeKafkaLog(logger, entry),
    ...(options.sasl ? { sasl: { mechanism: 'scram-sha-256' as const, ...options.sasl } } : {}),
  });

  // Bounded retries (about half a minute) so that a publish fails, and its caller can roll back or retry later,
  // instead of hanging for as long as the broker is down, which is what an idempotent producer does by default.
  const newProducer = (): Producer =>
    kafka.producer({
      idempotent: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 8, maxRetryTime: 5_000 },
    });
  let producer = newProducer();
  const admin: Admin = kafka.admin();
  const known = new Set<string>();
  const active = new Set<Subscription>();
  let closed = false;

  const once = <T>(connect: () => Promise<T>): (() => Promise<T>) => {
    let pending: Promise<T> | undefined;
    return () => {
      pending ??= connect().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    };
  };
  let producerReady = once(() => producer.connect());
  const adminReady = once(() => admin.connect());

  /**
   * A topic created a moment ago (by this process or another) may not be served by its leader yet: "does not host
   * this topic-partition", which kafkajs marks retriable. Such calls are tried again from scratch, a few times.
   */
  const retryRetriable = async <T>(attempt: () => Promise<T>, context: Record<string, unknown>): Promise<T> => {
    const deadline = Date.now() + RETRIABLE_FOR_MS;
    for (let tries = 1; ; tries += 1) {
      try {
        return await attempt();
      } catch (error) {
        const delayMs = retriableDelayMs(tries);
        if (closed || Date.now() + delayMs > deadline || (error as { retriable?: unknown }).retriable !== true) throw error;
        logger?.warn({ err: error, ...context, tries, delayMs }, 'Kafka call failed, trying again');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  };

  const ensureTopics = async (topics: string[]): Promise<void> => {
    const wanted = [...new Set(topics)].filter((topic) => !known.has(topic));
    if (wanted.length === 0) {
      return;
    }
    await adminReady();
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      // Topics another process creates at the same moment make kafkajs return false, not fail.
      await retryRetriable(
        () =>
          admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
          }),
        { topics: missing },
      );
    }
    for (const topic of wanted) known.add(topic);
  };

  const publish = async (topic: string, messages: OutgoingMessage[]): Promise<void> => {
    if (closed) {
      throw new Error('the Kafka bus is closed');
    }
    if (messages.length === 0) {
      return;
    }
    await producerReady();
    const sending = producer;
    try {
      // One send per chunk, in order: kafkajs puts a send's messages for one partition in one record batch, which
      // the broker refuses above its message.max.bytes (1 MiB by default).
      for (const chunk of chunksOf(messages, MAX_SEND_BYTES)) {
        await sending.send({
          topic,
          acks: -1,
          messages: chunk.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
        });
      }
    } catch (error) {
      // kafkajs never recovers a producer whose sequence numbers the broker refused (after a broker restart with
      // sends in flight, kafkajs#598): every later send fails the same way. A new producer gets a new producer id
      // and starts its sequences afresh; the caller retries, and a message the broker had taken comes twice, which
      // consumers deduplicate on the event id.
      if (producer === sending && outOfStep(error)) {
        logger?.warn({ err: error, topic }, 'idempotent producer out of step with the broker, replacing it');
        producer = newProducer();
        producerReady = once(() => producer.connect());
        void sending.disconnect().catch(() => undefined);
      }
      throw error;
    }
  };

  /** Where each partition of `topics` starts now, by `topic:partition`: its first offset, or its end. */
  const startPositions = async (topics: string[], fromBeginning = false): Promise<Map<string, string>> => {
    await adminReady();
    const positions = new Map<string, string>();
    for (const topic of topics) {
      for (const { partition, low, high } of await retryRetriable(() => admin.fetchTopicOffsets(topic), { topic })) {
        positions.set(`${topic}:${partition}`, fromBeginning ? low : high);
      }
    }
    return positions;
  };

  const subscribeOnce = async (subscribeOptions: SubscribeOptions): Promise<Subscription> => {
    if (closed) {
      throw new Error('the Kafka bus is closed');
    }
    const { groupId, topics, handle } = subscribeOptions;
    const consumer = kafka.consumer({ groupId, ...consumerTimings });
    // A member that commits nothing owns its positions. kafkajs forgets them whenever the group rejoins (a lone
    // member rejoins on its own when the metadata of freshly created topics settles) and would start at the end
    // again, skipping what was published in between. So the start is fixed here, once, and every join seeks to
    // where this member is.
    const positions = subscribeOptions.commitOffsets === false ? await startPositions(topics, subscribeOptions.fromBeginning) : undefined;
    const failures = new Map<string, number>();
    const resumeTimers = new Set<NodeJS.Timeout>();

    const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
      const { batch, isRunning, isStale } = payload;
      const partitionKey = `${batch.topic}:${batch.partition}`;
      // The offset after the last message handled and not committed yet, and when the last commit went out.
      let uncommitted: string | undefined;
      let committedAt = Date.now();
      // Through the batch payload, not consumer.commitOffsets(): kafkajs drops the latter once stop() has begun,
      // which would lose the commit of the message that stop() waited for.
      const commit = async (): Promise<void> => {
        if (uncommitted === undefined) return;
        const offset = uncommitted;
        uncommitted = undefined;
        committedAt = Date.now();
        await payload.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }] });
      };
      try {
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) {
            return;
          }
          try {
            await handle(toIncoming(batch.topic, batch.partition, message));
          } catch (error) {
            // Nothing after this message is resolved, so the next fetch of this partition starts at it again.
            const failed = (failures.get(partitionKey) ?? 0) + 1;
            failures.set(partitionKey, failed);
            const delayMs = redeliveryDelayMs(failed);
            logger?.warn(
              { err: error, topic: batch.topic, partition: batch.partition, offset: message.offset, groupId, delayMs },
              'event handler failed, the message will be delivered again',
            );
            const resume = payload.pause();
            const timer = setTimeout(() => {
              resumeTimers.delete(timer);
              resume();
            }, delayMs);
            resumeTimers.add(timer);
            return;
          }
          failures.delete(partitionKey);
          payload.resolveOffset(message.offset);
          const next = (BigInt(message.offset) + 1n).toString();
          positions?.set(partitionKey, next);
          consumerLag.set(
            { topic: batch.topic, group: groupId, partition: String(batch.partition) },
            Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(message.offset) - 1n)),
          );
          if (subscribeOptions.commitOffsets !== false) {
            uncommitted = next;
            if (Date.now() - committedAt >= COMMIT_INTERVAL_MS) await commit();
          }
          await payload.heartbeat();
        }
      } finally {
        await commit();
      }
    };

    // Joined and fetched once: from then on the start offsets are fixed, so a publish that follows subscribe()
    // is seen even by a new group that starts at the end.
    let stopWaiting = (): void => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`group ${groupId} did not join and fetch within ${joinTimeoutMs} ms`));
      }, joinTimeoutMs);
      const offFetch = consumer.on(consumer.events.FETCH, () => {
        cleanup();
        resolve();
      });
      const offCrash = consumer.on(consumer.events.CRASH, (event) => {
        if (!event.payload.restart) {
          cleanup();
          reject(event.payload.error);
        }
      });
      const cleanup = (): void => {
        clearTimeout(timer);
        offFetch();
        offCrash();
      };
      stopWaiting = cleanup;
    });
    ready.catch(() => undefined);

    if (positions) {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload: { memberAssignment } }) => {
        for (const [topic, assigned] of Object.entries(memberAssignment)) {
          for (const partition of assigned) {
            const offset = positions.get(`${topic}:${partition}`);
            if (offset !== undefined) consumer.seek({ topic, partition, offset });
          }
        }
      });
    }

    const runConfig = { autoCommit: false, eachBatchAutoResolve: false, eachBatch };
    let crashed = false;
    /** Until subscribe() has returned, a crash fails it instead. */
    let established = false;
    let stopped: Promise<void> | undefined;
    let revival: NodeJS.Timeout | undefined;
    // kafkajs gives up on a consumer whose error it deems final, some of which are not: a SASL handshake on a
    // connection the broker dropped while restarting fails "Not connected" as an authentication error. Like a
    // supervisor, the consumer is started again, later and later, while the process reports itself unready.
    const revive = (attempt: number): void => {
      revival = setTimeout(
        async () => {
          revival = undefined;
          if (stopped || closed) return;
          try {
            await consumer.connect();
            await consumer.run(runConfig);
            crashed = false;
            logger?.warn({ groupId, topics, attempt }, 'Kafka consumer started again after its crash');
          } catch (error) {
            logger?.error({ err: error, groupId, topics, attempt }, 'Kafka consumer could not start again; trying later');
            revive(attempt + 1);
          }
        },
        Math.min(1_000 * 2 ** attempt, 30_000),
      );
    };
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart && established && !stopped) {
        crashed = true;
        logger?.error(
          { err: event.payload.error, groupId, topics },
          'Kafka consumer crashed: this process is unready until it has started it again',
        );
        revive(0);
      }
    });

    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: subscribeOptions.fromBeginning ?? false });
      await consumer.run(runConfig);
      await ready;
      established = true;
    } catch (error) {
      stopWaiting();
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }

    const subscription: Subscription = {
      crashed: () => crashed && !stopped,
      stop: () => {
        stopped ??= (async () => {
          clearTimeout(revival);
          // kafkajs waits for the batch in hand, which returns after the message in flight is committed.
          await consumer.disconnect();
          resumeTimers.forEach(clearTimeout);
          resumeTimers.clear();
          active.delete(subscription);
        })();
        return stopped;
      },
    };
    active.add(subscription);
    return subscription;
  };

  const subscribe = (subscribeOptions: SubscribeOptions): Promise<Subscription> =>
    retryRetriable(() => subscribeOnce(subscribeOptions), { groupId: subscribeOptions.groupId });
  return {
    kind: 'kafka',
    ensureTopics,
    publish,
    subscribe,
    async healthy(): Promise<boolean> {
      if (closed) {
        return false;
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), 3_000);
      });
      const probe = (async () => {
        await adminReady();
        await admin.describeCluster();
        return true;
      })().catch(() => false);
      try {
        return await Promise.race([probe, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close(): Promise<void> {
      closed = true;
      await Promise.all([...active].map((subscription) => subscription.stop()));
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    },
  };
}

const PRODUCER_STATE_ERRORS = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

/** A refusal of the producer's idempotence state, possibly inside kafkajs's "retries exceeded" wrapper. */
function outOfStep(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth += 1) {
    const { type, cause } = current as { type?: unknown; cause?: unknown };
    if (typeof type === 'string' && PRODUCER_STATE_ERRORS.has(type)) return true;
    current = cause;
  }
  return false;
}

function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key === null ? null : message.key.toString('utf8'),
    value: message.value === null ? '' : message.value.toString('utf8'),
    headers: toHeaders(message.headers),
  };
}

function toHeaders(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    // A header repeated in one record: the last one wins, as a map of headers can keep only one.
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) {
      result[name] = value.toString();
    }
  }
  return result;
}

const IDEMPOTENT_RETRIES_WARNING = 'Limiting retries for the idempotent producer';

function routeKafkaLog(logger: Logger | undefined, { namespace, log }: LogEntry): void {
  if (!logger) {
    return;
  }
  const { message, timestamp: _timestamp, logger: _name, ...extra } = log as typeof log & { logger?: string };
  // Expected: the producer's retries are bounded on purpose (see above), and consumers dedupe on event ids.
  if (message.startsWith(IDEMPOTENT_RETRIES_WARNING)) {
    logger.debug({ kafkajs: namespace, ...extra }, message);
    return;
  }
  // kafkajs logs retriable protocol errors (a coordinator still loading, a rebalance) at error level and then
  // recovers; what it cannot recover from reaches the caller as a rejected promise or a consumer crash.
  logger.warn({ kafkajs: namespace, ...extra }, message);
}
