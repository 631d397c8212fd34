import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { Client, escapeIdentifier } from 'pg';
import { scram, toolKafkaCredentials } from '../../kernel/bus/credentials';

/** What the database holds for the accounts of one case (their logins start with `prefix`). */
export interface Effects {
  users: number;
  /** Rows of the user domain's outbox not yet published, and likewise for chnl and chat. */
  unpublished: number;
  channels: number;
  rooms: number;
  chatters: number;
  /** The live domain's live input of each channel (live-provision-wkr). */
  liveInputs: number;
  /** The payment domain's record of each channel's owner (paym-webhooks-wkr). */
  payees: number;
  /** The platform domain's copy of each account (ptfm-notify-wkr). */
  projected: number;
  /** Effects recorded more than once for one id: accounts with two channels, channels with two rooms. */
  doubled: number;
}

export async function countEffects(databaseUrl: string, prefix: string): Promise<Effects> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Every domain's outbox, those of domains added after this was written included.
    const { rows: outboxes } = await client.query<{ schema: string }>(
      "SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'outbox' ORDER BY 1",
    );
    const unpublished = outboxes
      .map(({ schema }) => `(SELECT count(*) FROM ${escapeIdentifier(schema)}.outbox WHERE published_at IS NULL)`)
      .join(' + ');
    const { rows } = await client.query(
      `WITH u AS (SELECT id FROM "user".account WHERE login LIKE $1 || '%'),
            c AS (SELECT ch.id, ch.owner_id FROM chnl.channel ch JOIN u ON u.id = ch.owner_id)
       SELECT (SELECT count(*) FROM u)::int AS users,
              (${unpublished || '0'})::int AS unpublished,
              (SELECT count(DISTINCT owner_id) FROM c)::int AS channels,
              (SELECT count(*) FROM chat.room r JOIN c ON c.id = r.channel_id)::int AS rooms,
              (SELECT count(*) FROM chat.chatter h JOIN u ON u.id = h.user_id)::int AS chatters,
              (SELECT count(*) FROM live.live_input l JOIN c ON c.id = l.channel_id)::int AS "liveInputs",
              (SELECT count(*) FROM paym.channel_owner o JOIN c ON c.id = o.channel_id)::int AS payees,
              (SELECT count(*) FROM ptfm.account a JOIN u ON u.id = a.user_id)::int AS projected,
              ((SELECT count(*) FROM c) - (SELECT count(DISTINCT owner_id) FROM c))::int AS doubled`,
      [prefix],
    );
    return rows[0] as Effects;
  } finally {
    await client.end();
  }
}

/** Events each consumer group has handled, from the domains' processed_event tables. */
export async function processedEvents(databaseUrl: string): Promise<Record<string, number>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Every domain's, those of domains added after this was written included.
    const { rows: tables } = await client.query<{ schema: string }>(
      "SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'processed_event' ORDER BY 1",
    );
    const { rows } = await client.query(
      tables
        .map(({ schema }) => `SELECT consumer_group, count(*)::int AS n FROM ${escapeIdentifier(schema)}.processed_event GROUP BY 1`)
        .join(' UNION ALL '),
    );
    return Object.fromEntries(rows.map((row) => [row.consumer_group, row.n]));
  } finally {
    await client.end();
  }
}

export interface TopicMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** Every message of `topic`, read from the beginning up to its end as the broker reports it now. */
export async function readTopic(brokers: string, topic: string, timeoutMs = 60_000): Promise<TopicMessage[]> {
  const kafka = new Kafka({
    clientId: 'chaos-reader',
    brokers: [brokers],
    sasl: scram(toolKafkaCredentials()),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const { partition, high } of await admin.fetchTopicOffsets(topic)) if (BigInt(high) > 0n) ends.set(partition, BigInt(high));
  } finally {
    await admin.disconnect();
  }
  const messages: TopicMessage[] = [];
  if (ends.size === 0) return messages;
  const consumer = kafka.consumer({ groupId: `chaos-reader-${randomBytes(6).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${topic} not read to its end within ${timeoutMs} ms`)), timeoutMs);
      const left = new Set(ends.keys());
      void consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const end = ends.get(partition);
            if (end === undefined || BigInt(message.offset) >= end) return;
            messages.push({
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? '',
              headers: headersOf(message.headers),
            });
            if (BigInt(message.offset) + 1n >= end) {
              left.delete(partition);
              if (left.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name, String(Array.isArray(value) ? value.at(-1) : value)]),
  );
}

/** Messages per event id (the envelope's `id`): how many ids, how many were on the topic more than once. */
export function idCounts(messages: TopicMessage[], keep: (event: Record<string, any>) => boolean): { ids: number; repeated: number } {
  const seen = new Map<string, number>();
  for (const message of messages) {
    let event: Record<string, any>;
    try {
      event = JSON.parse(message.value);
    } catch {
      continue;
    }
    if (!keep(event)) continue;
    seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
  }
  return { ids: seen.size, repeated: [...seen.values()].filter((n) => n > 1).length };
}

/** Messages of `topic` the group has not committed yet, over all partitions. */
export async function lagOf(brokers: string, groupId: string, topic: string): Promise<number> {
  const kafka = new Kafka({ clientId: 'chaos-lag', brokers: [brokers], sasl: scram(toolKafkaCredentials()), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, BigInt(high)]));
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    let lag = 0n;
    for (const { partition, offset } of committed?.partitions ?? [])
      lag += (ends.get(partition) ?? 0n) - (offset === '-1' ? 0n : BigInt(offset));
    return Number(lag);
  } finally {
    await admin.disconnect();
  }
}

export async function publishRaw(
  brokers: string,
  topic: string,
  messages: { key: string; value: string; headers?: Record<string, string> }[],
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'chaos-poisoner',
    brokers: [brokers],
    sasl: scram(toolKafkaCredentials()),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}
