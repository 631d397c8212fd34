import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ChatMessageCreated } from '../contracts/events/types';
import { chatMessagesPayload } from './fanout-payload';
import { scram, toolKafkaCredentials } from '../kernel/bus/credentials';

/**
 * The floors of the fan-out benchmark: a bare `ws` server that keeps its sockets by room and writes, for each
 * message, the same graphql-ws `next` frame rt-gtw writes to every socket of the room. No GraphQL, no checks.
 *   ipc    the benchmark hands it the payloads over IPC: the writes alone
 *   kafka  it reads chat.message.created.v1 with a bare kafkajs consumer (no commits): the writes and the feed
 * Arguments: port, feed; for kafka, KAFKA_BROKERS and KAFKA_TOPIC_PREFIX in the environment.
 */
const port = Number(process.argv[2] ?? 4796);
const feed = process.argv[3] === 'kafka' ? 'kafka' : 'ipc';
const rooms = new Map<string, { socket: WebSocket; prefix: string }[]>();

function broadcast(room: string, payload: string): void {
  for (const member of rooms.get(room) ?? []) member.socket.send(`${member.prefix}${payload}}`);
}

async function main(): Promise<void> {
  if (feed === 'kafka') {
    const kafka = new Kafka({
      clientId: 'bench-raw',
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      sasl: scram(toolKafkaCredentials()),
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: `bench-raw-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: `${process.env.KAFKA_TOPIC_PREFIX ?? ''}chat.message.created.v1`, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const event = JSON.parse(String(message.value)) as ChatMessageCreated;
        broadcast(event.data.channelId, chatMessagesPayload(event.data));
      },
    });
  } else {
    process.on('message', (batch: { room: string; payload: string }[]) => {
      for (const { room, payload } of batch) broadcast(room, payload);
    });
  }
  // Just enough of graphql-transport-ws for the same graphql-ws clients to subscribe: an ack, and a room per subscribe.
  const wss = new WebSocketServer({ port, host: '127.0.0.1', handleProtocols: () => 'graphql-transport-ws' });
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; id?: string; payload?: { variables?: { channelId?: string } } };
      if (message.type === 'connection_init') socket.send('{"type":"connection_ack"}');
      if (message.type !== 'subscribe') return;
      const room = message.payload?.variables?.channelId ?? '';
      const member = { socket, prefix: `{"id":${JSON.stringify(message.id)},"type":"next","payload":` };
      rooms.set(room, [...(rooms.get(room) ?? []), member]);
      socket.on('close', () =>
        rooms.set(
          room,
          (rooms.get(room) ?? []).filter((m) => m !== member),
        ),
      );
    });
  });
  wss.on('listening', () => process.send?.('ready'));
}

void main();
