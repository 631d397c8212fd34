import pino from 'pino';
import { combineConsumers, createConsumer, deadLetterTopic, type Consumer, type ConsumerOptions } from './consumer';
import { createMemoryBus } from './memory';
import type { EventBus, IncomingMessage } from './port';
import { eventually } from '../../test/support/eventually';

interface Tipped {
  id: string;
  amount: number;
}

const TOPIC = 'chnl.tip.received.v1';
const DLT = deadLetterTopic(TOPIC);

function parseTipped(value: string): Tipped {
  const data: unknown = JSON.parse(value);
  if (typeof data !== 'object' || data === null || typeof (data as Tipped).id !== 'string' || typeof (data as Tipped).amount !== 'number') {
    throw new Error('not a chnl.tip.received.v1 event');
  }
  return data as Tipped;
}

const tip = (id: string, amount = 1): { key: string; value: string } => ({
  key: 'channel-1',
  value: JSON.stringify({ id, amount }),
});

describe('createConsumer', () => {
  let bus: EventBus;
  let consumers: Consumer[];
  let deadLetters: IncomingMessage[];

  beforeEach(async () => {
    bus = createMemoryBus();
    consumers = [];
    deadLetters = [];
    await bus.subscribe({
      groupId: 'dlt-reader',
      topics: [DLT],
      fromBeginning: true,
      handle: async (message) => void deadLetters.push(message),
    });
  });

  afterEach(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await bus.close();
  });

  const start = async (handle: ConsumerOptions<Tipped>['handle'], overrides: Partial<ConsumerOptions<Tipped>> = {}): Promise<Consumer> => {
    const consumer = createConsumer<Tipped>({
      bus,
      groupId: 'chnl-tips-wkr',
      topic: TOPIC,
      parse: parseTipped,
      handle,
      maxAttempts: 3,
      backoffMs: () => 1,
      logger: pino({ level: 'silent' }),
      ...overrides,
    });
    consumers.push(consumer);
    await consumer.start();
    return consumer;
  };

  it('dead-letters a poison pill at once, unchanged, with the reason, and goes on', async () => {
    const handled: string[] = [];
    const consumer = await start(async (event) => void handled.push(event.id));
    await bus.publish(TOPIC, [
      { key: 'channel-1', value: '{not json', headers: { 'x-event-id': 'e-1' } },
      { key: 'channel-1', value: JSON.stringify({ id: 'e-2' }) },
      tip('e-3'),
    ]);

    await eventually(() => handled.length === 1 && deadLetters.length === 2);

    expect(handled).toEqual(['e-3']);
    expect(deadLetters.map((m) => m.value)).toEqual(['{not json', JSON.stringify({ id: 'e-2' })]);
    const [poison] = deadLetters;
    expect(poison.key).toBe('channel-1');
    expect(poison.headers).toMatchObject({
      'x-event-id': 'e-1',
      'x-dlt-reason': 'poison',
      'x-original-topic': TOPIC,
      'x-original-offset': '0',
      'x-attempts': '1',
    });
    expect(poison.headers['x-original-partition']).toMatch(/^\d+$/);
    expect(poison.headers['x-dlt-error']).toContain('SyntaxError');
    expect(deadLetters[1].headers['x-dlt-error']).toContain('not a chnl.tip.received.v1 event');
    expect(consumer.stats()).toEqual({ processed: 1, retried: 0, deadLettered: 2 });
  });

  it('retries a transient failure with backoff and handles the message once', async () => {
    const backoffs: number[] = [];
    let failuresLeft = 2;
    const handled: string[] = [];
    const consumer = await start(
      async (event) => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('database unavailable');
        }
        handled.push(event.id);
      },
      {
        backoffMs: (attempt) => {
          backoffs.push(attempt);
          return 5;
        },
      },
    );
    await bus.publish(TOPIC, [tip('e-1'), tip('e-2')]);

    await eventually(() => handled.length === 2);

    expect(handled).toEqual(['e-1', 'e-2']);
    expect(backoffs).toEqual([1, 2]);
    expect(deadLetters).toEqual([]);
    expect(consumer.stats()).toEqual({ processed: 2, retried: 2, deadLettered: 0 });
    expect(consumer.status()).toBe('ready');
  });

  it('dead-letters a message that keeps failing after maxAttempts, commits it and goes on', async () => {
    const attempts: string[] = [];
    const consumer = await start(async (event, message) => {
      attempts.push(event.id);
      if (event.id === 'bad') {
        throw new Error(`cannot credit tip at offset ${message.offset}`);
      }
    });
    await bus.publish(TOPIC, [tip('bad'), tip('good')]);

    await eventually(() => attempts.includes('good'));

    expect(attempts).toEqual(['bad', 'bad', 'bad', 'good']);
    await eventually(() => deadLetters.length === 1);
    expect(deadLetters[0].value).toBe(tip('bad').value);
    expect(deadLetters[0].headers).toMatchObject({
      'x-dlt-reason': 'max-attempts',
      'x-attempts': '3',
      'x-original-offset': '0',
      'x-dlt-error': 'Error: cannot credit tip at offset 0',
    });
    expect(consumer.stats()).toEqual({ processed: 1, retried: 2, deadLettered: 1 });

    await consumer.stop();
    const again: string[] = [];
    await start(async (event) => void again.push(event.id));
    await bus.publish(TOPIC, [tip('after-restart')]);
    await eventually(() => again.length === 1);
    expect(again).toEqual(['after-restart']);
  });

  it('retries past maxAttempts while the database is unreachable, and dead-letters nothing', async () => {
    let failures = 0;
    const handled: string[] = [];
    await start(async (event) => {
      if (failures < 7) {
        failures += 1;
        throw Object.assign(new Error("Can't reach database server"), { code: 'P1001' });
      }
      handled.push(event.id);
    });
    await bus.publish(TOPIC, [tip('during-outage')]);

    await eventually(() => handled.length === 1);
    expect(handled).toEqual(['during-outage']);
    expect(deadLetters).toEqual([]);
  });

  it('leaves a message uncommitted when stopped between retries, so that it comes again', async () => {
    let attempts = 0;
    const first = await start(
      async () => {
        attempts += 1;
        throw new Error('still failing');
      },
      { backoffMs: () => 60_000 },
    );
    await bus.publish(TOPIC, [tip('e-1')]);
    await eventually(() => attempts === 1);

    const began = Date.now();
    await first.stop();
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(first.status()).toBe('stopped');

    const handled: string[] = [];
    await start(async (event) => void handled.push(event.id));
    await eventually(() => handled.length === 1);
    expect(handled).toEqual(['e-1']);
    expect(deadLetters).toEqual([]);
  });

  it('reports unhealthy while a message can be neither handled nor dead-lettered, and recovers', async () => {
    let dltDown = true;
    const flaky: EventBus = {
      ...bus,
      publish: async (topic, messages) => {
        if (topic === DLT && dltDown) {
          throw new Error('broker unavailable');
        }
        return bus.publish(topic, messages);
      },
    };
    const consumer = createConsumer<Tipped>({
      bus: flaky,
      groupId: 'chnl-tips-wkr',
      topic: TOPIC,
      parse: parseTipped,
      handle: async () => undefined,
      logger: pino({ level: 'silent' }),
    });
    consumers.push(consumer);
    expect(consumer.status()).toBe('waiting');
    await consumer.start();
    expect(consumer.status()).toBe('ready');

    await bus.publish(TOPIC, [{ key: 'channel-1', value: 'garbage' }, tip('e-1')]);
    await eventually(() => consumer.status() === 'unhealthy');
    expect(consumer.stats().processed).toBe(0);

    dltDown = false;
    await eventually(() => consumer.stats().processed === 1);
    expect(consumer.status()).toBe('ready');
    expect(consumer.stats().deadLettered).toBe(1);
    await eventually(() => deadLetters.length === 1);
    expect(deadLetters[0].value).toBe('garbage');

    await consumer.stop();
    expect(consumer.status()).toBe('stopped');
  });

  it('reports crashed, also for a worker of several consumers, once the bus client gave up for good', async () => {
    let crashed = false;
    const crashing: EventBus = {
      ...bus,
      subscribe: async (options) => {
        const subscription = await bus.subscribe(options);
        return { stop: () => subscription.stop(), crashed: () => crashed };
      },
    };
    const make = (bus: EventBus, topic: string) =>
      createConsumer<Tipped>({
        bus,
        groupId: `crash-${topic}`,
        topic,
        parse: parseTipped,
        handle: async () => undefined,
        logger: pino({ level: 'silent' }),
      });
    const failing = make(crashing, TOPIC);
    const healthy = make(bus, 'chnl.other.v1');
    const worker = combineConsumers(bus, [TOPIC, 'chnl.other.v1'], [failing, healthy]);
    consumers.push(worker);
    await worker.start();
    expect(worker.status()).toBe('ready');

    crashed = true;
    expect(failing.status()).toBe('crashed');
    expect(worker.status()).toBe('crashed');
    await worker.stop();
    expect(worker.status()).toBe('stopped');
  });
});
