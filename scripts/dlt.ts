import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type IHeaders, type KafkaMessage } from 'kafkajs';
import { deadLetterTopic } from '../kernel/bus/consumer';
import { scram, toolKafkaCredentials } from '../kernel/bus/credentials';

/**
 * `npm run dlt -- list|show|replay [topic]`: the dead letters consumers wrote to `{topic}.dlt` (kernel/bus/consumer.ts).
 *   list            every dead-letter topic and how many messages it holds
 *   show <topic>    each dead letter of the topic: where it came from, why, the error, the value
 *   replay <topic>  publishes the dead letters not replayed yet back to their original topic, without the dead-letter
 *                   headers; consumers deduplicate on the event id as for any redelivery. What was replayed is
 *                   remembered (the consumer group `dlt-replay.<topic>`), so running it again replays only newer ones.
 * KAFKA_BROKERS (127.0.0.1:9092), KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (the project's broker's admin when
 * unset); `<topic>` may be given with or without `.dlt`.
 */
const DLT_HEADERS = ['x-dlt-reason', 'x-dlt-error', 'x-original-topic', 'x-original-partition', 'x-original-offset', 'x-attempts'];

const kafka = new Kafka({
  clientId: 'dlt',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  sasl: scram(toolKafkaCredentials()),
  logLevel: logLevel.NOTHING,
});

const dltOf = (topic: string) => (topic.endsWith('.dlt') ? topic : deadLetterTopic(topic));

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name, String(Array.isArray(value) ? value.at(-1) : value)]),
  );
}

/** The messages of `topic` from the group's committed offsets (the beginning for a new group) to the end as it is now. */
async function readToEnd(topic: string, groupId: string, each: (message: KafkaMessage, partition: number) => Promise<void>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  const starts = new Map<number, bigint>();
  try {
    for (const { partition, high } of await admin.fetchTopicOffsets(topic)) ends.set(partition, BigInt(high));
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const { partition, offset } of committed?.partitions ?? []) if (offset !== '-1') starts.set(partition, BigInt(offset));
  } finally {
    await admin.disconnect();
  }
  const left = new Set([...ends].filter(([partition, end]) => end > (starts.get(partition) ?? 0n)).map(([partition]) => partition));
  if (left.size === 0) return;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      void consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const end = ends.get(partition) ?? 0n;
            if (BigInt(message.offset) >= end) return;
            await each(message, partition);
            await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
            if (BigInt(message.offset) + 1n >= end) {
              left.delete(partition);
              if (left.size === 0) resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

async function list(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.endsWith('.dlt')).sort();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const count = offsets.reduce((sum, { low, high }) => sum + Number(BigInt(high) - BigInt(low)), 0);
      console.log(`${topic}\t${count}`);
    }
  } finally {
    await admin.disconnect();
  }
}

async function show(topic: string): Promise<void> {
  // A group of its own each time, never committed to: showing changes nothing.
  await readToEnd(dltOf(topic), `dlt-show.${randomBytes(6).toString('hex')}`, async (message, partition) => {
    const headers = headersOf(message.headers);
    console.log(
      [
        `${dltOf(topic)} ${partition}/${message.offset}: ${headers['x-dlt-reason']} after ${headers['x-attempts']} attempt(s)`,
        `  from ${headers['x-original-topic']} ${headers['x-original-partition']}/${headers['x-original-offset']}, key ${message.key?.toString() ?? '(none)'}`,
        `  error ${headers['x-dlt-error']}`,
        `  value ${(message.value?.toString() ?? '').slice(0, 500)}`,
      ].join('\n'),
    );
  });
}

async function replay(topic: string): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  let replayed = 0;
  try {
    await readToEnd(dltOf(topic), `dlt-replay.${dltOf(topic)}`, async (message) => {
      const headers = headersOf(message.headers);
      const original = headers['x-original-topic'];
      if (!original) throw new Error(`${dltOf(topic)} offset ${message.offset} has no x-original-topic header`);
      const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !DLT_HEADERS.includes(name)));
      await producer.send({ topic: original, acks: -1, messages: [{ key: message.key, value: message.value, headers: kept }] });
      replayed += 1;
    });
  } finally {
    await producer.disconnect();
  }
  console.log(`replayed ${replayed} message(s) from ${dltOf(topic)}`);
}

async function main(argv: string[]): Promise<number> {
  const [command, topic] = argv;
  if (command === 'list') await list();
  else if ((command === 'show' || command === 'replay') && topic) await (command === 'show' ? show(topic) : replay(topic));
  else {
    console.error('usage: npm run dlt -- list | show <topic> | replay <topic>');
    return 2;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
