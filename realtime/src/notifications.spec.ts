import { randomUUID } from 'node:crypto';
import { makeEvent } from '../../kernel/events';
import { notificationId } from '../../kernel/notification-id';
import { readManifest } from '../../kernel/persisted';
import { PersistedSubscriptions, type ResolvedSubscription } from './operations';
import { nextFramePrefix, Rooms, type Sink } from './rooms';
import { buildRealtimeSchema } from './schema';

const schema = buildRealtimeSchema();
const persisted = new PersistedSubscriptions(schema);
const ids = new Map(readManifest('realtime.v1').operations.map((op) => [op.name, op.id]));

const resolve = (name: string, variables: Record<string, unknown>): ResolvedSubscription => {
  const resolved = persisted.resolve({ query: '', variables, extensions: { persistedQuery: { sha256Hash: ids.get(name) } } });
  if (!('channelId' in resolved)) throw new Error(resolved.map((e) => e.message).join('; '));
  return resolved;
};

class RecordingSink implements Sink {
  readonly frames: string[] = [];
  constructor(readonly userId?: string) {}
  send(frame: string): void {
    this.frames.push(frame);
  }
  payloads(): unknown[] {
    return this.frames.map((f) => JSON.parse(f).payload.data);
  }
}

const member = (sink: Sink, id: string) => ({ sink, prefix: nextFramePrefix(id), complete: () => undefined });

const slice = (channelId: string, recipients: string[], streamId = randomUUID()) =>
  makeEvent('ptfm.notification.created.v1', {
    kind: 'go_live',
    streamId,
    channelId,
    broadcaster: { id: randomUUID(), login: 'streamer', displayName: 'Streamer' },
    title: 'Speedrun',
    category: 'Games',
    thumbnailUrl: `https://image.example/${streamId}/thumbnail.jpg`,
    startedAt: '2026-11-27T17:00:00.000Z',
    createdAt: '2026-11-27T17:00:01.000Z',
    recipients: recipients as [string, ...string[]],
  });

describe('notifications and streamStatus in the rooms', () => {
  it("should resolve notifications as the user's own subscription, without a channel", () => {
    expect(resolve('Notifications', {})).toMatchObject({ forUser: true, channelId: '', operation: { field: 'notifications' } });
    expect(resolve('StreamStatus', { channelId: randomUUID() })).toMatchObject({ forUser: false, operation: { field: 'streamStatus' } });
  });

  it('should write a slice to its recipients connected here only, each with the id of their own inbox row', () => {
    const rooms = new Rooms(schema);
    const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
    const sinks = { alice: new RecordingSink(alice), bob: new RecordingSink(bob), carol: new RecordingSink(carol) };
    const s = resolve('Notifications', {});
    rooms.joinUser(alice, s.selectionKey, s.operation, s.variables, member(sinks.alice, 'n'));
    const leave = rooms.joinUser(bob, s.selectionKey, s.operation, s.variables, member(sinks.bob, 'n'));
    rooms.joinUser(carol, s.selectionKey, s.operation, s.variables, member(sinks.carol, 'n'));
    leave();

    const event = slice(randomUUID(), [alice, bob, randomUUID()]);
    expect(rooms.onNotificationEvent(event)).toBe(1);
    expect(sinks.alice.payloads()).toEqual([
      {
        notifications: {
          id: notificationId(event.data.streamId, alice),
          kind: 'GO_LIVE',
          channelId: event.data.channelId,
          streamId: event.data.streamId,
          broadcaster: event.data.broadcaster,
          title: 'Speedrun',
          category: 'Games',
          thumbnailUrl: event.data.thumbnailUrl,
          startedAt: event.data.startedAt,
          read: false,
          createdAt: event.data.createdAt,
        },
      },
    ]);
    expect(sinks.bob.frames).toEqual([]);
    expect(sinks.carol.frames).toEqual([]);
  });

  it("should tell a channel's watchers of its stream's state and of title and category changes only", () => {
    const rooms = new Rooms(schema);
    const channelId = randomUUID();
    const sink = new RecordingSink();
    const s = resolve('StreamStatus', { channelId });
    rooms.join(s.channelId, s.selectionKey, s.operation, s.variables, member(sink, 's'));
    const streamId = randomUUID();
    const at = '2026-11-27T17:00:00.000Z';
    rooms.onStreamEvent(
      makeEvent('live.stream.started.v1', { streamId, channelId, ownerId: randomUUID(), title: 'T', category: 'C', startedAt: at }),
    );
    rooms.onStreamEvent(
      makeEvent('live.stream.updated.v1', { streamId, channelId, state: 'reconnecting', title: 'T', category: 'C', updatedAt: at }),
    );
    rooms.onStreamEvent(
      makeEvent('chnl.channel.updated.v1', { channelId, ownerId: randomUUID(), changes: { title: 'New' }, updatedAt: at }),
    );
    rooms.onStreamEvent(
      makeEvent('chnl.channel.updated.v1', { channelId, ownerId: randomUUID(), changes: { mature: true }, updatedAt: at }),
    );
    rooms.onStreamEvent(makeEvent('live.stream.ended.v1', { streamId, channelId, startedAt: at, endedAt: at }));
    expect(sink.payloads()).toEqual([
      { streamStatus: { channelId, state: 'LIVE', streamId, title: 'T', category: 'C', at } },
      { streamStatus: { channelId, state: 'RECONNECTING', streamId, title: 'T', category: 'C', at } },
      { streamStatus: { channelId, state: null, streamId: null, title: 'New', category: null, at } },
      { streamStatus: { channelId, state: 'OFFLINE', streamId, title: null, category: null, at } },
    ]);
  });
});
