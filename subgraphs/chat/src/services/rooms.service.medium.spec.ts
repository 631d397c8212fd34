import { randomUUID } from 'node:crypto';
import { makeEvent } from '../../../../kernel/events';
import { startChatServices, type ChatServices } from '../../../../test/support/chat';
import { identities } from '../../../../test/support/identities';
import LIMITS from '../../limits.json';
import { RoomsService } from './rooms.service';

const SLOW_MODE_SECONDS = { min: LIMITS['settings.slowModeSeconds'].minimum, max: LIMITS['settings.slowModeSeconds'].maximum };
const FOLLOWERS_ONLY_MINUTES = {
  min: LIMITS['settings.followersOnlyMinutes'].minimum,
  max: LIMITS['settings.followersOnlyMinutes'].maximum,
};

const { session } = identities;

/** RoomsService against a real PostgreSQL: rooms, roles within them, their modes and clearing. */
describe(RoomsService.name, () => {
  let chat: ChatServices;
  let rooms: RoomsService;

  beforeAll(async () => {
    chat = await startChatServices();
    rooms = chat.rooms;
  });

  afterAll(() => chat?.close());

  it('should find rooms by channel, in the order asked, and refuse a channel without a room', async () => {
    const [a, b] = [await chat.room(), await chat.room()];
    expect((await rooms.byIds([b.channelId, 'x', a.channelId, randomUUID()])).map((r) => r?.ownerId ?? null)).toEqual([
      b.ownerId,
      null,
      a.ownerId,
      null,
    ]);
    await expect(rooms.get(a.channelId)).resolves.toMatchObject({
      channelId: a.channelId,
      ownerId: a.ownerId,
      slowModeSeconds: null,
      emoteOnly: false,
    });
    for (const channelId of [randomUUID(), 'not-a-channel']) {
      await expect(rooms.get(channelId)).rejects.toMatchObject({ code: 'CHAT_ROOM_NOT_FOUND' });
    }
  });

  it("should give each user their standing in the room, following the channel's role events", async () => {
    const room = await chat.room();
    const current = await rooms.get(room.channelId);
    expect(await rooms.standing(current, room.ownerId)).toEqual({
      badges: ['broadcaster'],
      moderator: true,
      vip: false,
      subscriber: false,
    });
    expect(await rooms.standing(current, room.moderatorId)).toEqual({
      badges: ['moderator'],
      moderator: true,
      vip: false,
      subscriber: false,
    });
    expect(await rooms.standing(current, room.vipId)).toEqual({ badges: ['vip'], moderator: false, vip: true, subscriber: false });
    expect(await rooms.standing(current, room.viewerId)).toEqual({ badges: [], moderator: false, vip: false, subscriber: false });
    await chat.projections.roleChanged(
      makeEvent('chnl.vip.added.v1', {
        channelId: room.channelId,
        ownerId: room.ownerId,
        userId: room.moderatorId,
        at: new Date().toISOString(),
      }),
      'spec',
    );
    expect(await rooms.standing(current, room.moderatorId)).toEqual({
      badges: ['moderator', 'vip'],
      moderator: true,
      vip: true,
      subscriber: false,
    });
    await chat.projections.roleChanged(
      makeEvent('chnl.moderator.removed.v1', {
        channelId: room.channelId,
        ownerId: room.ownerId,
        userId: room.moderatorId,
        at: new Date().toISOString(),
      }),
      'spec',
    );
    expect(await rooms.standing(current, room.moderatorId)).toEqual({ badges: ['vip'], moderator: false, vip: true, subscriber: false });
    await expect(rooms.moderate(session(room.moderatorId), room.channelId, 'moderator:manage:chat_messages')).rejects.toMatchObject({
      code: 'CHAT_NOT_MODERATOR',
    });
  });

  it('should make a subscriber of whoever the latest paym.subscription.* event says, in store time order', async () => {
    const room = await chat.room();
    const current = await rooms.get(room.channelId);
    const subscription = (type: 'paym.subscription.activated.v1' | 'paym.subscription.ended.v1', at: string) =>
      chat.projections.subscriptionChanged(
        type === 'paym.subscription.ended.v1'
          ? makeEvent(type, {
              subscriptionId: randomUUID(),
              userId: room.viewerId,
              channelId: room.channelId,
              tier: 1,
              store: 'stripe',
              reason: 'refunded',
              at,
            })
          : makeEvent(type, {
              subscriptionId: randomUUID(),
              userId: room.viewerId,
              channelId: room.channelId,
              tier: 1,
              store: 'stripe',
              periodEnd: null,
              at,
            }),
        'spec',
      );
    await subscription('paym.subscription.activated.v1', '2026-11-27T10:00:00.000Z');
    expect(await rooms.standing(current, room.viewerId)).toEqual({
      badges: [],
      moderator: false,
      vip: false,
      subscriber: true,
    });
    await subscription('paym.subscription.ended.v1', '2026-11-27T10:05:00.000Z');
    // An activation older than the end, delivered after it, changes nothing.
    await subscription('paym.subscription.activated.v1', '2026-11-27T10:01:00.000Z');
    expect(await rooms.standing(current, room.viewerId)).toEqual({ badges: [], moderator: false, vip: false, subscriber: false });
  });

  it('should change only the modes given, turn them off with null, and emit the whole set as chat.room.updated.v1', async () => {
    const room = await chat.room();
    const moderator = session(room.moderatorId);
    await rooms.updateSettings(moderator, room.channelId, { slowModeSeconds: 30, emoteOnly: true });
    const updated = await rooms.updateSettings(moderator, room.channelId, { followersOnlyMinutes: 0, emoteOnly: null });
    expect(updated).toMatchObject({ slowModeSeconds: 30, followersOnlyMinutes: 0, emoteOnly: true, uniqueChat: false });
    const off = await rooms.updateSettings(identities.oauth(room.ownerId, ['moderator:manage:chat_settings']), room.channelId, {
      slowModeSeconds: null,
      emoteOnly: false,
      uniqueChat: true,
    });
    expect(off).toMatchObject({ slowModeSeconds: null, followersOnlyMinutes: 0, emoteOnly: false, uniqueChat: true });
    const events = await chat.outbox(room.channelId, 'chat.room.updated.v1');
    expect(events.map((e) => [e.data.updatedBy, e.data.modes])).toEqual([
      [room.moderatorId, { slowModeSeconds: 30, followersOnlyMinutes: null, emoteOnly: true, uniqueChat: false, subscriberOnly: false }],
      [room.moderatorId, { slowModeSeconds: 30, followersOnlyMinutes: 0, emoteOnly: true, uniqueChat: false, subscriberOnly: false }],
      [room.ownerId, { slowModeSeconds: null, followersOnlyMinutes: 0, emoteOnly: false, uniqueChat: true, subscriberOnly: false }],
    ]);
    expect(events[2].data.updatedAt).toBe(off.updatedAt.toISOString());
  });

  it('should accept slow mode from 3 to 120 seconds and followers-only up to 90 days, reporting every field out of range', async () => {
    const room = await chat.room();
    const owner = session(room.ownerId);
    await expect(
      rooms.updateSettings(owner, room.channelId, {
        slowModeSeconds: SLOW_MODE_SECONDS.min - 1,
        followersOnlyMinutes: FOLLOWERS_ONLY_MINUTES.max + 1,
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ field: 'slowModeSeconds' }, { field: 'followersOnlyMinutes' }] });
    for (const input of [
      { slowModeSeconds: SLOW_MODE_SECONDS.max + 1 },
      { slowModeSeconds: 4.5 },
      { followersOnlyMinutes: FOLLOWERS_ONLY_MINUTES.min - 1 },
    ]) {
      await expect(rooms.updateSettings(owner, room.channelId, input)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await chat.outbox(room.channelId)).toEqual([]);
    await expect(rooms.updateSettings(owner, room.channelId, { slowModeSeconds: SLOW_MODE_SECONDS.min })).resolves.toMatchObject({
      slowModeSeconds: 3,
    });
    await expect(
      rooms.updateSettings(owner, room.channelId, {
        slowModeSeconds: SLOW_MODE_SECONDS.max,
        followersOnlyMinutes: FOLLOWERS_ONLY_MINUTES.max,
      }),
    ).resolves.toMatchObject({
      slowModeSeconds: 120,
      followersOnlyMinutes: 129_600,
    });
  });

  it('should let only moderators, and apps with moderator:manage:chat_settings, change the modes', async () => {
    const room = await chat.room();
    await expect(rooms.updateSettings(session(room.vipId), room.channelId, { emoteOnly: true })).rejects.toMatchObject({
      code: 'CHAT_NOT_MODERATOR',
    });
    await expect(
      rooms.updateSettings(identities.oauth(room.ownerId, ['moderator:manage:chat_messages']), room.channelId, { emoteOnly: true }),
    ).rejects.toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
    });
    await expect(rooms.updateSettings(identities.anonymous(), room.channelId, { emoteOnly: true })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    expect(await rooms.get(room.channelId)).toMatchObject({ emoteOnly: false });
    expect(await chat.outbox(room.channelId)).toEqual([]);
  });

  it('should clear the room for moderators: the history starts again, and chat.room.cleared.v1 says when', async () => {
    const room = await chat.room();
    await chat.messages.send(session(room.viewerId), room.channelId, 'old news', null);
    await expect(rooms.clear(session(room.viewerId), room.channelId)).rejects.toMatchObject({ code: 'CHAT_NOT_MODERATOR' });
    const cleared = await rooms.clear(session(room.moderatorId), room.channelId);
    expect(cleared.clearedAt).toBeInstanceOf(Date);
    expect((await chat.messages.history(cleared, 10, null)).nodes).toEqual([]);
    await chat.messages.send(session(room.viewerId), room.channelId, 'fresh', null);
    expect((await chat.messages.history(cleared, 10, null)).nodes.map((m) => m.text)).toEqual(['fresh']);
    expect((await chat.outbox(room.channelId, 'chat.room.cleared.v1')).map((e) => e.data)).toEqual([
      { channelId: room.channelId, clearedBy: room.moderatorId, clearedAt: cleared.clearedAt!.toISOString() },
    ]);
  });
});
