import { randomUUID } from 'node:crypto';
import type { GraphQLObjectType } from 'graphql';
import { makeEvent } from '../../kernel/events';
import { PersistedSubscriptions, type ResolvedSubscription } from './operations';
import { Bans, type Member, nextFramePrefix, Rooms, type Sink } from './rooms';
import { buildRealtimeSchema } from './schema';
import { readManifest } from '../../kernel/persisted';

const schema = buildRealtimeSchema();
// Counts how often a message is executed: the `text` field of ChatMessage resolves once per execution.
let executions = 0;
const text = (schema.getType('ChatMessage') as GraphQLObjectType).getFields().text;
text.resolve = (message: { text: string }) => {
  executions += 1;
  return message.text;
};
const persisted = new PersistedSubscriptions(schema);
const ids = new Map(readManifest('realtime.v1').operations.map((op) => [op.name, op.id]));

const resolve = (name: string, channelId: string): ResolvedSubscription => {
  const resolved = persisted.resolve({
    query: '',
    variables: { channelId },
    extensions: { persistedQuery: { sha256Hash: ids.get(name) } },
  });
  if (!('channelId' in resolved)) throw new Error(resolved.map((e) => e.message).join('; '));
  return resolved;
};

class RecordingSink implements Sink {
  readonly frames: string[] = [];
  constructor(readonly userId?: string) {}
  send(frame: string): void {
    this.frames.push(frame);
  }
}

function subscribe(rooms: Rooms, sink: Sink, id: string, name: string, channelId: string) {
  const s = resolve(name, channelId);
  const completed: string[] = [];
  const member: Member = { sink, prefix: nextFramePrefix(id), complete: () => completed.push(id) };
  const leave = rooms.join(s.channelId, s.selectionKey, s.operation, s.variables, member);
  return { leave, completed };
}

const message = (channelId: string, text: string) =>
  makeEvent('chat.message.created.v1', {
    messageId: randomUUID(),
    channelId,
    senderId: randomUUID(),
    senderLogin: 'someone',
    senderDisplayName: 'Someone',
    text,
    replyToId: null,
    fragments: [{ type: 'emote', text, emoteId: randomUUID(), userId: null }],
    badges: ['broadcaster', 'moderator'],
    sentAt: new Date().toISOString(),
  });

describe('Rooms', () => {
  beforeEach(() => {
    executions = 0;
  });

  it('should execute an event once per selection and give every member the same payload behind its own id', () => {
    const rooms = new Rooms(schema);
    const channelId = randomUUID();
    const sinks = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    subscribe(rooms, sinks[0], '1', 'ChatMessages', channelId);
    subscribe(rooms, sinks[1], 'a "quoted" id', 'ChatMessages', channelId);
    subscribe(rooms, sinks[2], '1', 'ChatEvents', channelId);

    const event = message(channelId, 'Kappa');
    expect(rooms.onChatEvent(event)).toBe(2);

    expect(executions).toBe(1);
    const [first, second] = [JSON.parse(sinks[0].frames[0]), JSON.parse(sinks[1].frames[0])];
    expect(first).toEqual({ id: '1', type: 'next', payload: second.payload });
    expect(second.id).toBe('a "quoted" id');
    expect(first.payload.data.chatMessages).toMatchObject({
      id: event.data.messageId,
      fragments: [{ type: 'EMOTE', text: 'Kappa', emoteId: event.data.fragments[0].emoteId, userId: null }],
      badges: ['BROADCASTER', 'MODERATOR'],
    });
    expect(sinks[2].frames).toEqual([]);
  });

  it('should send a room events to its members only, in the order they came', () => {
    const rooms = new Rooms(schema);
    const [here, there] = [randomUUID(), randomUUID()];
    const sink = new RecordingSink();
    subscribe(rooms, sink, 'm', 'ChatMessages', here);
    const events = [message(here, 'one'), message(there, 'elsewhere'), message(here, 'two')];
    for (const event of events) rooms.onChatEvent(event);
    expect(sink.frames.map((f) => JSON.parse(f).payload.data.chatMessages.text)).toEqual(['one', 'two']);
  });

  it('should count a signed-in user once however many connections they hold, and each anonymous connection', () => {
    const rooms = new Rooms(schema);
    const [channelId, otherRoom] = [randomUUID(), randomUUID()];
    const userId = randomUUID();
    subscribe(rooms, new RecordingSink(userId), 'm', 'ChatMessages', channelId);
    const secondTab = subscribe(rooms, new RecordingSink(userId), 'm', 'StreamStatus', channelId);
    subscribe(rooms, new RecordingSink(), 'm', 'ChatMessages', channelId);
    subscribe(rooms, new RecordingSink(), 'm', 'ChatMessages', channelId);
    subscribe(rooms, new RecordingSink(userId), 'm', 'ChatMessages', otherRoom);
    expect(rooms.localDistinctViewers()).toEqual(
      new Map([
        [channelId, 3],
        [otherRoom, 1],
      ]),
    );
    expect(rooms.localViewerCounts().get(channelId)).toBe(4);
    secondTab.leave();
    expect(rooms.localDistinctViewers().get(channelId)).toBe(3);
  });

  it('should count anonymous connections once per address', () => {
    const rooms = new Rooms(schema);
    const channelId = randomUUID();
    const fromOneAddress = Array.from({ length: 1_000 }, () => Object.assign(new RecordingSink(), { address: '203.0.113.7' }));
    for (const sink of fromOneAddress) subscribe(rooms, sink, 'm', 'ChatMessages', channelId);
    subscribe(rooms, Object.assign(new RecordingSink(), { address: '2001:db8::1' }), 'm', 'ChatMessages', channelId);
    subscribe(rooms, Object.assign(new RecordingSink(randomUUID()), { address: '203.0.113.7' }), 'm', 'ChatMessages', channelId);
    expect(rooms.localDistinctViewers().get(channelId)).toBe(3);
    expect(rooms.localViewerCounts().get(channelId)).toBe(1_002);
  });

  it('should count a connection once per room however many subscriptions it holds, and forget rooms left empty', () => {
    const rooms = new Rooms(schema);
    const channelId = randomUUID();
    const sink = new RecordingSink();
    const messages = subscribe(rooms, sink, 'm', 'ChatMessages', channelId);
    const events = subscribe(rooms, sink, 'e', 'ChatEvents', channelId);
    subscribe(rooms, new RecordingSink(), 'm', 'ChatMessages', channelId).leave();
    expect(rooms.localViewerCounts()).toEqual(new Map([[channelId, 1]]));
    messages.leave();
    messages.leave();
    expect(rooms.localViewerCounts()).toEqual(new Map([[channelId, 1]]));
    events.leave();
    expect(rooms.localViewerCounts()).toEqual(new Map());
  });

  it('should tell a banned user, then complete only their subscriptions in that room', () => {
    const rooms = new Rooms(schema);
    const channelId = randomUUID();
    const userId = randomUUID();
    const banned = new RecordingSink(userId);
    const other = new RecordingSink(randomUUID());
    const bannedEvents = subscribe(rooms, banned, 'e', 'ChatEvents', channelId);
    const bannedMessages = subscribe(rooms, banned, 'm', 'ChatMessages', channelId);
    const elsewhere = subscribe(rooms, banned, 'x', 'ChatMessages', randomUUID());
    const otherEvents = subscribe(rooms, other, 'e', 'ChatEvents', channelId);

    rooms.onChatEvent(
      makeEvent('chat.user.banned.v1', {
        channelId,
        userId,
        moderatorId: randomUUID(),
        reason: 'spam',
        expiresAt: null,
        bannedAt: new Date().toISOString(),
      }),
    );

    expect(JSON.parse(banned.frames[0]).payload.data.chatEvents).toMatchObject({ __typename: 'ChatUserBanned', userId, expiresAt: null });
    expect([...bannedEvents.completed, ...bannedMessages.completed]).toEqual(['e', 'm']);
    expect([...elsewhere.completed, ...otherEvents.completed]).toEqual([]);
    expect(JSON.parse(other.frames[0]).payload.data.chatEvents).not.toHaveProperty('reason');
    expect(rooms.bans.until(channelId, userId, Date.now())).toBe(Number.POSITIVE_INFINITY);
  });

  it('should not end subscriptions for a timeout that has already ended by its clock', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const rooms = new Rooms(schema, () => now);
    const channelId = randomUUID();
    const userId = randomUUID();
    const sub = subscribe(rooms, new RecordingSink(userId), 'e', 'ChatEvents', channelId);
    const ended = '2026-01-01T11:59:59Z';
    rooms.onChatEvent(
      makeEvent('chat.user.banned.v1', { channelId, userId, moderatorId: randomUUID(), reason: null, expiresAt: ended, bannedAt: ended }),
    );
    expect(sub.completed).toEqual([]);
    const running = '2026-01-01T12:00:01Z';
    rooms.onChatEvent(
      makeEvent('chat.user.banned.v1', { channelId, userId, moderatorId: randomUUID(), reason: null, expiresAt: running, bannedAt: ended }),
    );
    expect(sub.completed).toEqual(['e']);
  });

  it('should push a viewer count when it changes, and the last one to members that joined since', () => {
    const rooms = new Rooms(schema);
    const channelId = randomUUID();
    const early = new RecordingSink();
    subscribe(rooms, early, 'v', 'ViewerCount', channelId);
    const at = new Date();
    expect(rooms.pushViewerCount(channelId, 1, at)).toBe(1);
    expect(rooms.pushViewerCount(channelId, 1, at)).toBe(0);
    const late = new RecordingSink();
    subscribe(rooms, late, 'v', 'ViewerCount', channelId);
    expect(rooms.pushViewerCount(channelId, 1, at)).toBe(1);
    expect(rooms.pushViewerCount(channelId, 2, at)).toBe(2);
    expect(early.frames.map((f) => JSON.parse(f).payload.data.viewerCount.count)).toEqual([1, 2]);
    expect(late.frames.map((f) => JSON.parse(f).payload.data.viewerCount.count)).toEqual([1, 2]);
    expect(rooms.viewerCountChannels()).toEqual([channelId]);
  });

  it('should push the viewer count to a streamStatus that selects it, and only to that one', () => {
    const rooms = new Rooms(schema);
    const channelId = randomUUID();
    const withViewers = new RecordingSink();
    const withoutViewers = new RecordingSink();
    subscribe(rooms, withViewers, 's', 'StreamStatusWithViewers', channelId);
    subscribe(rooms, withoutViewers, 's', 'StreamStatus', channelId);
    expect(rooms.viewerCountChannels()).toEqual([channelId]);
    const at = new Date();
    expect(rooms.pushViewerCount(channelId, 3, at)).toBe(1);
    expect(JSON.parse(withViewers.frames[0]).payload.data.streamStatus).toEqual({
      channelId,
      state: null,
      streamId: null,
      title: null,
      category: null,
      viewerCount: 3,
      at: at.toISOString(),
    });
    expect(withoutViewers.frames).toEqual([]);
  });

  it('should give a viewer count to a selection that is new in the room even when the count is unchanged', () => {
    const rooms = new Rooms(schema);
    const channelId = randomUUID();
    const stays = subscribe(rooms, new RecordingSink(), 'm', 'ChatMessages', channelId);
    const first = subscribe(rooms, new RecordingSink(), 'v', 'ViewerCount', channelId);
    expect(rooms.pushViewerCount(channelId, 2, new Date())).toBe(1);
    first.leave();
    const again = new RecordingSink();
    subscribe(rooms, again, 'v', 'ViewerCount', channelId);
    expect(rooms.pushViewerCount(channelId, 2, new Date())).toBe(1);
    expect(JSON.parse(again.frames[0]).payload.data.viewerCount.count).toBe(2);
    stays.leave();
  });
});

describe('Bans', () => {
  it('should hold a timeout until it ends and a ban for good, and sweep ended timeouts', () => {
    const bans = new Bans();
    const now = Date.parse('2026-01-01T00:00:00Z');
    bans.add('room', 'timed', '2026-01-01T00:10:00Z');
    bans.add('room', 'banned', null);
    expect(bans.until('room', 'timed', now)).toBe(Date.parse('2026-01-01T00:10:00Z'));
    expect(bans.until('room', 'timed', now + 600_000)).toBeUndefined();
    expect(bans.until('room', 'banned', now + 10 ** 12)).toBe(Number.POSITIVE_INFINITY);
    expect(bans.until('other', 'banned', now)).toBeUndefined();
    bans.add('room', 'timed', '2026-01-01T00:10:00Z');
    bans.sweep(now + 600_000);
    expect(bans.until('room', 'timed', now)).toBeUndefined();
  });

  it("should take the chat domain's list at start, except where an event spoke while it was read", () => {
    const bans = new Bans();
    const now = Date.parse('2026-01-01T00:00:00Z');
    bans.loading();
    bans.forget('room', 'unbanned-meanwhile');
    bans.add('room', 'rebanned-meanwhile', '2026-01-01T00:01:00Z');
    bans.loaded([
      { channelId: 'ROOM', userId: 'listed', expiresAt: null },
      { channelId: 'room', userId: 'unbanned-meanwhile', expiresAt: null },
      { channelId: 'room', userId: 'rebanned-meanwhile', expiresAt: null },
    ]);
    expect(bans.until('room', 'listed', now)).toBe(Number.POSITIVE_INFINITY);
    expect(bans.until('room', 'unbanned-meanwhile', now)).toBeUndefined();
    expect(bans.until('room', 'rebanned-meanwhile', now)).toBe(Date.parse('2026-01-01T00:01:00Z'));
    bans.forget('room', 'listed');
    bans.loaded([{ channelId: 'room', userId: 'listed', expiresAt: null }]);
    expect(bans.until('room', 'listed', now)).toBe(Number.POSITIVE_INFINITY);
  });
});
