import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The floor of the fan-out benchmark: a bare `ws` server that keeps its sockets by room and, for each message the
 * benchmark hands it (over IPC), writes the same graphql-ws `next` frame rt-gtw writes, to every socket of the room.
 * No protocol, no Kafka, no GraphQL: only the writes.
 */
const port = Number(process.argv[2] ?? 4798);
const rooms = new Map<string, { socket: WebSocket; prefix: string }[]>();
const wss = new WebSocketServer({ port, host: '127.0.0.1' });
wss.on('connection', (socket, request) => {
  const params = new URL(request.url ?? '/', 'http://raw').searchParams;
  const room = params.get('room') ?? '';
  const member = { socket, prefix: `{"id":${JSON.stringify(params.get('id') ?? '1')},"type":"next","payload":` };
  rooms.set(room, [...(rooms.get(room) ?? []), member]);
  socket.on('close', () => rooms.set(room, (rooms.get(room) ?? []).filter((m) => m !== member)));
});
process.on('message', (batch: { room: string; payload: string }[]) => {
  for (const { room, payload } of batch) {
    for (const member of rooms.get(room) ?? []) member.socket.send(`${member.prefix}${payload}}`);
  }
});
wss.on('listening', () => process.send?.('ready'));
