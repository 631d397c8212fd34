import { Kafka, logLevel } from 'kafkajs';
import { describeBusContract } from '../../kernel/bus/bus.contract';
import { scram, toolKafkaCredentials } from '../../kernel/bus/credentials';
import { createKafkaBus } from '../../kernel/bus/kafka';
import { eventually } from '../support/eventually';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const unreachable = `Kafka is not reachable at ${brokers.join(',')}: run \`bash scripts/kafka.sh start\` (or set KAFKA_BROKERS)`;
let reachable = false;

// Fails, not skips, when the broker is down: CI must never pass without having run these against Kafka.
beforeAll(async () => {
  const admin = new Kafka({
    clientId: 'bus-contract-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    sasl: scram(toolKafkaCredentials()),
    connectionTimeout: 2_000,
    retry: { retries: 1 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    reachable = true;
  } catch (error) {
    throw new Error(`${unreachable} (${(error as Error).message})`);
  } finally {
    await admin.disconnect();
  }
});

describeBusContract('kafka', () => {
  if (!reachable) {
    throw new Error(unreachable);
  }
  return createKafkaBus({ brokers, clientId: 'bus-contract', sasl: toolKafkaCredentials() });
});

describe('Kafka bus without commits', () => {
  it('should leave no position behind a subscription that commits no offsets', async () => {
    const bus = createKafkaBus({ brokers, clientId: 'bus-uncommitted', sasl: toolKafkaCredentials() });
    const topic = `test.uncommitted-${Date.now()}.happened.v1`;
    const groupId = `uncommitted-${Date.now()}`;
    try {
      await bus.ensureTopics([topic]);
      await bus.publish(topic, [
        { key: 'k', value: 'one' },
        { key: 'k', value: 'two' },
      ]);
      const read = async (commitOffsets: boolean) => {
        const received: string[] = [];
        const subscription = await bus.subscribe({
          groupId,
          topics: [topic],
          fromBeginning: true,
          commitOffsets,
          handle: async (m) => void received.push(m.value),
        });
        try {
          await eventually(() => received.length >= 2, 30_000, 'two messages');
        } finally {
          await subscription.stop();
        }
        return received;
      };
      expect(await read(false)).toEqual(['one', 'two']);
      // Nothing was committed, so the group starts over; this time it commits.
      expect(await read(true)).toEqual(['one', 'two']);
      await bus.publish(topic, [{ key: 'k', value: 'three' }]);
      const after: string[] = [];
      const subscription = await bus.subscribe({
        groupId,
        topics: [topic],
        fromBeginning: true,
        handle: async (m) => void after.push(m.value),
      });
      try {
        await eventually(() => after.length >= 1, 30_000, 'the message published after the commit');
      } finally {
        await subscription.stop();
      }
      expect(after).toEqual(['three']);
    } finally {
      await bus.close();
    }
  }, 120_000);
});

describe('Kafka bus topics created by two processes at once', () => {
  it('should give a group joining from the end every message published after subscribe(), whichever process created the topics', async () => {
    const [first, second] = [0, 1].map((i) => createKafkaBus({ brokers, clientId: `bus-race-${i}`, sasl: toolKafkaCredentials() }));
    const stamp = Date.now();
    const topics = Array.from({ length: 12 }, (_, i) => `test.race-${stamp}-${i}.happened.v1`);
    const received = new Set<string>();
    const subscriptions: { stop(): Promise<void> }[] = [];
    try {
      await Promise.all([first.ensureTopics(topics), second.ensureTopics(topics)]);
      for (const [group, bus] of [first, second].entries()) {
        subscriptions.push(
          await bus.subscribe({
            groupId: `race-${stamp}-${group}`,
            topics,
            fromBeginning: false,
            commitOffsets: false,
            handle: async (m) => void received.add(`${group}:${m.topic}:${m.value}`),
          }),
        );
      }
      for (const topic of topics) {
        await first.publish(
          topic,
          ['a', 'b', 'c', 'd'].map((key) => ({ key, value: key })),
        );
      }
      await eventually(
        () => received.size === 2 * topics.length * 4,
        20_000,
        () => {
          const all = [0, 1].flatMap((g) => topics.flatMap((t) => ['a', 'b', 'c', 'd'].map((k) => `${g}:${t}:${k}`)));
          return `every message in both groups; missing ${all.filter((x) => !received.has(x)).join(' ')}`;
        },
      );
    } finally {
      await Promise.all(subscriptions.map((s) => s.stop()));
      await Promise.all([first.close(), second.close()]);
    }
  });
});

describe('Kafka bus commits', () => {
  it('should commit what a running member handled, by the end of its batch, without a stop() to force it', async () => {
    const bus = createKafkaBus({ brokers, clientId: 'bus-commits', sasl: toolKafkaCredentials() });
    const admin = new Kafka({
      clientId: 'bus-commits-admin',
      brokers,
      logLevel: logLevel.NOTHING,
      sasl: scram(toolKafkaCredentials()),
    }).admin();
    const topic = `test.commits-${Date.now()}.happened.v1`;
    const groupId = `commits-${Date.now()}`;
    const sent = Array.from({ length: 300 }, (_, i) => ({ key: 'k', value: String(i) }));
    const received: string[] = [];
    try {
      await admin.connect();
      await bus.ensureTopics([topic]);
      await bus.publish(topic, sent);
      const subscription = await bus.subscribe({
        groupId,
        topics: [topic],
        fromBeginning: true,
        handle: async (m) => void received.push(m.value),
      });
      try {
        await eventually(() => received.length === sent.length, 60_000, 'every message handled');
        // Still running: the batch's end committed the position after the last message, with no stop() to force it.
        const committed = async () => {
          const [{ partitions }] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
        };
        await eventually(async () => (await committed()) === sent.length, 10_000, 'the position after the last message committed');
      } finally {
        await subscription.stop();
      }
      expect(received).toEqual(sent.map((m) => m.value));
    } finally {
      await admin.disconnect();
      await bus.close();
    }
  }, 120_000);
});
