import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/unavailable';
import { consumerMessages } from '../metrics';
import { inMessageSpan } from '../tracing';
import type { EventBus, IncomingMessage, Subscription } from './port';

export interface ConsumerOptions<T> {
  bus: EventBus;
  groupId: string;
  topic: string;
  /** Turns the raw value into an event; throws when it is not one, which makes the message a poison pill. */
  parse(value: string): T;
  /** Must be idempotent: a message can come again after a crash or a rebalance. */
  handle(event: T, message: IncomingMessage): Promise<void>;
  /** Calls of `handle` for one message before it is dead-lettered. */
  maxAttempts?: number;
  /** The pause after failed attempt number `attempt` (1-based). */
  backoffMs?: (attempt: number) => number;
  /**
   * Failures that say a dependency is away rather than the message bad (by default, the database unreachable):
   * retried with backoff for as long as they last, never counted towards `maxAttempts`, so that an outage longer
   * than the attempts' backoff does not dead-letter good messages.
   */
  isUnavailable?: (error: unknown) => boolean;
  /** Where a new group starts: by default at the oldest message kept, so a new worker misses nothing. */
  fromBeginning?: boolean;
  logger: Logger;
}

export type ConsumerStatus = 'waiting' | 'ready' | 'unhealthy' | 'crashed' | 'stopped';

export interface ConsumerStats {
  processed: number;
  retried: number;
  deadLettered: number;
}

export interface Consumer {
  start(): Promise<void>;
  /** Waits for the message in hand; one waiting between retries is left uncommitted, to come again. */
  stop(): Promise<void>;
  /**
   * `waiting` until subscribed; `unhealthy` when subscribing failed or a message could be neither handled nor
   * dead-lettered (it is being delivered again), until one is finished; `crashed` when the bus's client gave up
   * for good (only a restart helps: readiness turns red); `stopped` after stop().
   */
  status(): ConsumerStatus;
  stats(): ConsumerStats;
}

/**
 * `x-dlt-reason` of a dead-lettered message: `poison` when `parse` refused it (`x-attempts` is then 1),
 * `max-attempts` when `handle` failed `maxAttempts` times.
 */
export type DeadLetterReason = 'poison' | 'max-attempts';

export const deadLetterTopic = (topic: string): string => `${topic}.dlt`;

/**
 * Several consumers as one, for a worker that reads several topics with a group per topic (a Kafka group's members
 * must all subscribe to the same topics): it creates every topic and its dead letters first, and is ready when all
 * of its consumers are.
 */
export function combineConsumers(bus: EventBus, topics: readonly string[], consumers: readonly Consumer[]): Consumer {
  return {
    start: async () => {
      // All topics in one request: kafkajs creating topics from several calls at once can fail on leader metadata.
      await bus.ensureTopics(topics.flatMap((topic) => [topic, deadLetterTopic(topic)]));
      await Promise.all(consumers.map((c) => c.start()));
    },
    stop: async () => {
      await Promise.all(consumers.map((c) => c.stop()));
    },
    status: (): ConsumerStatus => {
      const states = consumers.map((c) => c.status());
      for (const state of ['stopped', 'crashed', 'unhealthy', 'waiting'] as const) if (states.includes(state)) return state;
      return 'ready';
    },
    stats: (): ConsumerStats =>
      consumers.reduce(
        (sum, c) => {
          const s = c.stats();
          return {
            processed: sum.processed + s.processed,
            retried: sum.retried + s.retried,
            deadLettered: sum.deadLettered + s.deadLettered,
          };
        },
        { processed: 0, retried: 0, deadLettered: 0 },
      ),
  };
}

const defaultBackoffMs = (attempt: number): number => Math.min(200 * 2 ** (attempt - 1), 5_000);

/** Dead-letter headers carry the error for people reading the topic, not the stack trace. */
const MAX_ERROR_LENGTH = 1_000;

class StoppingError extends Error {
  constructor() {
    super('consumer stopping: the message is left uncommitted');
  }
}

/**
 * The runner every worker is built on: subscribes one group to one topic, parses each message, calls the
 * handler, retries it with backoff, and dead-letters to `{topic}.dlt` what cannot be parsed or keeps failing, so
 * that one bad message never blocks its partition. A message is committed only once handled or dead-lettered.
 */
export function createConsumer<T>(options: ConsumerOptions<T>): Consumer {
  const { bus, groupId, topic, parse, handle } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? defaultBackoffMs;
  const isUnavailable = options.isUnavailable ?? isDatabaseUnavailable;
  const logger = options.logger.child({ groupId, topic });
  const dlt = deadLetterTopic(topic);
  const counts: ConsumerStats = { processed: 0, retried: 0, deadLettered: 0 };
  let state: ConsumerStatus = 'waiting';
  let subscription: Subscription | undefined;
  const stopping = new AbortController();

  if (maxAttempts < 1) {
    throw new Error(`maxAttempts must be at least 1, got ${maxAttempts}`);
  }

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (stopping.signal.aborted) {
        reject(new StoppingError());
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new StoppingError());
      };
      const timer = setTimeout(() => {
        stopping.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      stopping.signal.addEventListener('abort', onAbort, { once: true });
    });

  const deadLetter = async (message: IncomingMessage, reason: DeadLetterReason, error: unknown, attempts: number): Promise<void> => {
    await bus.publish(dlt, [
      {
        key: message.key ?? '',
        value: message.value,
        headers: {
          ...message.headers,
          'x-dlt-reason': reason,
          'x-dlt-error': errorText(error).slice(0, MAX_ERROR_LENGTH),
          'x-original-topic': message.topic,
          'x-original-partition': String(message.partition),
          'x-original-offset': message.offset,
          'x-attempts': String(attempts),
        },
      },
    ]);
    counts.deadLettered += 1;
    consumerMessages.inc({ topic, group: groupId, outcome: 'dead_lettered' });
    logger.error({ err: error, reason, attempts, partition: message.partition, offset: message.offset }, `message dead-lettered to ${dlt}`);
  };

  const consume = async (message: IncomingMessage): Promise<void> => {
    let event: T;
    try {
      event = parse(message.value);
    } catch (error) {
      await deadLetter(message, 'poison', error, 1);
      return;
    }
    let failures = 0;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await inMessageSpan(topic, groupId, message.headers, () => handle(event, message));
        counts.processed += 1;
        consumerMessages.inc({ topic, group: groupId, outcome: 'processed' });
        return;
      } catch (error) {
        const unavailable = isUnavailable(error);
        if (!unavailable) failures += 1;
        if (failures >= maxAttempts) {
          await deadLetter(message, 'max-attempts', error, attempt);
          return;
        }
        const delayMs = backoffMs(attempt);
        logger.warn(
          { err: error, attempt, maxAttempts, unavailable, delayMs, partition: message.partition, offset: message.offset },
          unavailable ? 'event handler failed, a dependency is unavailable: retrying until it is back' : 'event handler failed, retrying',
        );
        await pause(delayMs);
        counts.retried += 1;
        consumerMessages.inc({ topic, group: groupId, outcome: 'retried' });
      }
    }
  };

  const onMessage = async (message: IncomingMessage): Promise<void> => {
    try {
      await consume(message);
    } catch (error) {
      if (!(error instanceof StoppingError) && state !== 'stopped') {
        state = 'unhealthy';
        logger.error(
          { err: error, partition: message.partition, offset: message.offset },
          'message neither handled nor dead-lettered; it will be delivered again',
        );
      }
      throw error;
    }
    if (state === 'unhealthy') {
      state = 'ready';
    }
  };

  return {
    async start(): Promise<void> {
      if (subscription || state === 'stopped') {
        throw new Error(`consumer ${groupId} on ${topic} is already started or stopped`);
      }
      try {
        await bus.ensureTopics([topic, dlt]);
        subscription = await bus.subscribe({
          groupId,
          topics: [topic],
          fromBeginning: options.fromBeginning ?? true,
          handle: onMessage,
        });
      } catch (error) {
        state = 'unhealthy';
        logger.error({ err: error }, 'consumer could not subscribe');
        throw error;
      }
      state = 'ready';
      logger.info('consumer started');
    },
    async stop(): Promise<void> {
      if (state === 'stopped') {
        return;
      }
      state = 'stopped';
      stopping.abort();
      await subscription?.stop();
      logger.info(counts, 'consumer stopped');
    },
    status: () => (state !== 'stopped' && subscription?.crashed() ? 'crashed' : state),
    stats: () => ({ ...counts }),
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
