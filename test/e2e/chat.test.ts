import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createMemoryBus } from '../../kernel/bus/memory';
import type { EventBus } from '../../kernel/bus/port';
import { parseEvent } from '../../kernel/events';
import { kafkaBusForTests } from '../support/kafka';
import { eventually } from '../support/eventually';
import { call, signUpAndLogIn, startTestPlatform, type TestPlatform } from '../support/platform';

type Account = Awaited<ReturnType<typeof signUpAndLogIn>>;

/**
 * The chat domain through the REST facade: every rule of a room broken once, with its clear error and nothing
 * written to the chat outbox; moderation by the broadcaster and the moderators the channel domain names.
 */
describe('Chat over the Private API', () => {
  let platform: TestPlatform;
  let api: string;
  let db: Pool;

  beforeAll(async () => {
    platform = await startTestPlatform(createMemoryBus());
    api = platform.api;
    db = new Pool({ connectionString: platform.databaseUrl, max: 4 });
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await platform?.stop();
  });

  /** A chatter whose account the chat domain has learnt about (the name its messages carry). */
  const chatter = async (prefix: string): Promise<Account> => {
    const account = await signUpAndLogIn(api, prefix);
    await eventually(async () => (await db.query('SELECT 1 FROM chat.chatter WHERE user_id = $1', [account.id])).rowCount);
    return account;
  };

  /** A broadcaster and their room, once the chat domain has created it from the channel event. */
  const room = async (prefix = 'caster') => {
    const owner = await chatter(prefix);
    const channelId = await eventually(async () => {
      const me = await call(`${api}/me`, { token: owner.token });
      return me.body?.channel?.id as string | undefined;
    });
    await eventually(async () => (await call(`${api}/channels/${channelId}/chat/settings`)).status === 200);
    return { owner, channelId, chat: `${api}/channels/${channelId}/chat` };
  };

  const events = async (channelId: string, topic: string) =>
    (await db.query('SELECT payload FROM chat.outbox WHERE key = $1 AND topic = $2 ORDER BY created_at', [channelId, topic])).rows.map(
      (r) => r.payload,
    );

  const send = (chat: string, token: string, text: string, replyToId?: string) =>
    call(`${chat}/messages`, { method: 'POST', token, body: { text, ...(replyToId && { replyToId }) } });

  /** Sends a message that must be refused with `code` and `status`, and checks that nothing was broadcast. */
  const refused = async (channelId: string, chat: string, token: string, text: string, status: number, code: string) => {
    const before = (await events(channelId, 'chat.message.created.v1')).length;
    const answer = await send(chat, token, text);
    expect({ status: answer.status, code: answer.body.code }).toEqual({ status, code });
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(await events(channelId, 'chat.message.created.v1')).toHaveLength(before);
    return answer;
  };

  const settings = (chat: string, token: string, body: object) => call(`${chat}/settings`, { method: 'PATCH', token, body });

  const makeModerator = async (channelId: string, owner: Account, moderator: Account) => {
    const added = await call(`${api}/channels/${channelId}/moderators/${moderator.id}`, { method: 'POST', token: owner.token });
    expect(added.status).toBe(200);
    expect(added.body.moderators).toEqual([expect.objectContaining({ user: { id: moderator.id, login: moderator.login } })]);
    await eventually(
      async () =>
        (
          await db.query("SELECT 1 FROM chat.room_role WHERE channel_id = $1 AND user_id = $2 AND role = 'moderator' AND active", [
            channelId,
            moderator.id,
          ])
        ).rowCount,
    );
  };

  it('should create a room per channel and send a message parsed into fragments, with a reply', async () => {
    const { owner, channelId, chat } = await room();
    const viewer = await chatter('viewer');
    const emote = await call(`${chat}/emotes`, { method: 'POST', token: owner.token, body: { code: 'casterHype', name: 'Hype' } });
    expect(emote.status).toBe(201);

    const first = await send(chat, viewer.token, `hi @${owner.login} casterHype  ｈｅｌｌｏ`);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      text: `hi @${owner.login} casterHype hello`,
      badges: [],
      replyToId: null,
      sender: { id: viewer.id, login: viewer.login },
      fragments: [
        { type: 'TEXT', text: 'hi ', emoteId: null, user: null },
        { type: 'MENTION', text: `@${owner.login}`, emoteId: null, user: { id: owner.id } },
        { type: 'TEXT', text: ' ', emoteId: null, user: null },
        { type: 'EMOTE', text: 'casterHype', emoteId: emote.body.id, user: null },
        { type: 'TEXT', text: ' hello', emoteId: null, user: null },
      ],
    });

    const reply = await send(chat, owner.token, 'welcome', first.body.id);
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ replyToId: first.body.id, badges: ['BROADCASTER'] });

    const [created] = await events(channelId, 'chat.message.created.v1');
    expect(created).toMatchObject({
      type: 'chat.message.created.v1',
      data: {
        messageId: first.body.id,
        channelId,
        senderId: viewer.id,
        senderLogin: viewer.login,
        text: first.body.text,
        badges: [],
        fragments: expect.arrayContaining([{ type: 'emote', text: 'casterHype', emoteId: emote.body.id, userId: null }]),
      },
    });

    const history = await call(`${chat}/messages`);
    expect(history.status).toBe(200);
    expect(history.body.data.map((m: { id: string }) => m.id)).toEqual([reply.body.id, first.body.id]);

    const elsewhere = await room('other');
    const crossRoomReply = await send(elsewhere.chat, viewer.token, 'replying across rooms', first.body.id);
    expect({ status: crossRoomReply.status, code: crossRoomReply.body.code }).toEqual({ status: 404, code: 'CHAT_MESSAGE_NOT_FOUND' });
  });

  it('should page through the history with opaque cursors', async () => {
    const { owner, chat } = await room();
    const sent: string[] = [];
    for (let i = 0; i < 5; i += 1) sent.unshift((await send(chat, owner.token, `message number ${i}`)).body.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(`${chat}/messages?first=2${cursor ? `&before=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(5);
      seen.push(...page.body.data.map((m: { id: string }) => m.id));
      cursor = page.body.pagination.cursor;
    } while (cursor);
    expect(seen).toEqual(sent);
    const bad = await call(`${chat}/messages?before=not-a-cursor`);
    expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    const missing = await call(`${api}/channels/00000000-0000-4000-8000-000000000000/chat/messages`);
    expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 404, code: 'CHAT_ROOM_NOT_FOUND' });
  });

  it('should refuse a message too long, a duplicate and anonymous senders', async () => {
    const { channelId, chat } = await room();
    const viewer = await chatter('viewer');
    await refused(channelId, chat, viewer.token, 'a'.repeat(501), 400, 'CHAT_MESSAGE_TOO_LONG');
    expect((await send(chat, viewer.token, 'b'.repeat(500))).status).toBe(201);
    expect((await send(chat, viewer.token, 'same words')).status).toBe(201);
    await refused(channelId, chat, viewer.token, '  SAME   words ', 422, 'CHAT_DUPLICATE');
    // What a reader takes for the same message is the same: a Cyrillic а, leetspeak, a zero-width space.
    await refused(channelId, chat, viewer.token, 's\u0430me w0r\u200Bds', 422, 'CHAT_DUPLICATE');
    const anonymous = await call(`${chat}/messages`, { method: 'POST', body: { text: 'who am i' } });
    expect(anonymous.status).toBe(401);
  });

  it('should enforce slow mode with Retry-After, and let the broadcaster through', async () => {
    const { owner, channelId, chat } = await room();
    const viewer = await chatter('viewer');
    const changed = await settings(chat, owner.token, { slowModeSeconds: 30 });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ slowModeSeconds: 30, followersOnlyMinutes: null, emoteOnly: false });
    expect((await events(channelId, 'chat.room.updated.v1')).at(-1).data).toMatchObject({
      updatedBy: owner.id,
      modes: { slowModeSeconds: 30 },
    });
    const invalid = await settings(chat, owner.token, { slowModeSeconds: 2 });
    expect(invalid.status).toBe(400);

    expect((await send(chat, viewer.token, 'first')).status).toBe(201);
    const slow = await refused(channelId, chat, viewer.token, 'second', 429, 'CHAT_SLOW_MODE');
    expect(Number(slow.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await send(chat, owner.token, 'one')).status).toBe(201);
    expect((await send(chat, owner.token, 'two')).status).toBe(201);

    expect((await settings(chat, owner.token, { slowModeSeconds: null })).body.slowModeSeconds).toBeNull();
    expect((await send(chat, viewer.token, 'second')).status).toBe(201);
  });

  it('should enforce followers-only with a minimum follow age', async () => {
    const { owner, channelId, chat } = await room();
    const viewer = await chatter('viewer');
    expect((await settings(chat, owner.token, { followersOnlyMinutes: 0 })).status).toBe(200);
    await refused(channelId, chat, viewer.token, 'let me in', 403, 'CHAT_FOLLOWERS_ONLY');

    expect((await call(`${api}/channels/${channelId}/follow`, { method: 'PUT', token: viewer.token })).status).toBe(200);
    await eventually(async () => (await send(chat, viewer.token, 'following now')).status === 201);

    expect((await settings(chat, owner.token, { followersOnlyMinutes: 10 })).status).toBe(200);
    await refused(channelId, chat, viewer.token, 'followed too recently', 403, 'CHAT_FOLLOWERS_ONLY');
  });

  it('should enforce emote-only and unique-chat', async () => {
    const { owner, channelId, chat } = await room();
    const [viewer, other] = await Promise.all([chatter('viewer'), chatter('viewer')]);
    expect((await call(`${chat}/emotes`, { method: 'POST', token: owner.token, body: { code: 'wave', name: 'Wave' } })).status).toBe(201);

    expect((await settings(chat, owner.token, { emoteOnly: true })).status).toBe(200);
    await refused(channelId, chat, viewer.token, 'wave hello', 422, 'CHAT_EMOTE_ONLY');
    expect((await send(chat, viewer.token, 'wave wave')).status).toBe(201);

    expect((await settings(chat, owner.token, { emoteOnly: false, uniqueChat: true })).status).toBe(200);
    expect((await send(chat, viewer.token, 'nice play')).status).toBe(201);
    await refused(channelId, chat, other.token, 'NICE play', 422, 'CHAT_UNIQUE_CHAT');
    await refused(channelId, chat, other.token, 'n1ce pl\u0430y', 422, 'CHAT_UNIQUE_CHAT');
    expect((await send(chat, other.token, 'nice play indeed')).status).toBe(201);
  });

  it('should refuse the 21st message of a viewer in 30 seconds', async () => {
    const { channelId, chat } = await room();
    const viewer = await chatter('viewer');
    for (let i = 1; i <= 20; i += 1) expect((await send(chat, viewer.token, `message ${i}`)).status).toBe(201);
    const limited = await refused(channelId, chat, viewer.token, 'message 21', 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('should let the broadcaster and moderators block terms, and refuse messages holding one', async () => {
    const { owner, channelId, chat } = await room();
    const [moderator, viewer] = await Promise.all([chatter('mod'), chatter('viewer')]);
    await makeModerator(channelId, owner, moderator);

    const notMine = await call(`${chat}/blocked-terms`, { method: 'POST', token: viewer.token, body: { term: 'spoiler' } });
    expect({ status: notMine.status, code: notMine.body.code }).toEqual({ status: 403, code: 'CHAT_NOT_MODERATOR' });
    const term = await call(`${chat}/blocked-terms`, { method: 'POST', token: moderator.token, body: { term: 'Spoiler' } });
    expect(term.status).toBe(201);
    expect((await call(`${chat}/blocked-terms`, { method: 'POST', token: owner.token, body: { term: 'Spoiler' } })).status).toBe(409);
    expect((await call(`${chat}/blocked-terms`, { token: owner.token })).body).toEqual([expect.objectContaining({ term: 'Spoiler' })]);
    expect((await call(`${chat}/blocked-terms`, { token: viewer.token })).status).toBe(403);

    await refused(channelId, chat, viewer.token, 'big SPOILERS ahead', 422, 'CHAT_BLOCKED_TERM');
    const removed = await call(`${chat}/blocked-terms?id=${term.body.id}`, { method: 'DELETE', token: owner.token });
    expect(removed.body).toEqual([]);
    expect((await send(chat, viewer.token, 'big SPOILERS ahead')).status).toBe(201);
  });

  it("should hide a banned user's history, refuse their messages, and show it again once unbanned", async () => {
    const { owner, channelId, chat } = await room();
    const [viewer, other] = await Promise.all([chatter('viewer'), chatter('viewer')]);
    const theirs = await send(chat, viewer.token, 'something rude');
    const kept = await send(chat, other.token, 'something kind');

    const ban = await call(`${chat}/bans/${viewer.id}`, { method: 'POST', token: owner.token, body: { reason: 'rude' } });
    expect(ban.status).toBe(200);
    expect(ban.body).toMatchObject({ user: { id: viewer.id }, moderator: { id: owner.id }, reason: 'rude', expiresAt: null });
    expect((await events(channelId, 'chat.user.banned.v1')).at(-1).data).toMatchObject({
      userId: viewer.id,
      moderatorId: owner.id,
      expiresAt: null,
    });

    const history = await call(`${chat}/messages`);
    expect(history.body.data.map((m: { id: string }) => m.id)).toEqual([kept.body.id]);
    await refused(channelId, chat, viewer.token, 'let me back', 403, 'CHAT_BANNED');

    expect((await call(`${chat}/bans/${viewer.id}`, { method: 'DELETE', token: owner.token })).status).toBe(200);
    expect((await call(`${chat}/messages`)).body.data.map((m: { id: string }) => m.id)).toEqual([kept.body.id, theirs.body.id]);

    const timeout = await call(`${chat}/bans/${viewer.id}`, { method: 'POST', token: owner.token, body: { durationSeconds: 600 } });
    expect(timeout.status).toBe(200);
    expect(Date.parse(timeout.body.expiresAt) - Date.parse(timeout.body.bannedAt)).toBe(600_000);
    const timedOut = await refused(channelId, chat, viewer.token, 'sorry', 403, 'CHAT_TIMED_OUT');
    expect(Number(timedOut.headers.get('retry-after'))).toBeGreaterThan(590);

    for (const durationSeconds of [0, 14 * 24 * 3600 + 1]) {
      const invalid = await call(`${chat}/bans/${viewer.id}`, { method: 'POST', token: owner.token, body: { durationSeconds } });
      expect(invalid.status).toBe(400);
    }
    const self = await call(`${chat}/bans/${owner.id}`, { method: 'POST', token: owner.token, body: {} });
    expect({ status: self.status, code: self.body.code }).toEqual({ status: 422, code: 'CHAT_BAN_REFUSED' });
  });

  it('should let moderators delete a message and clear the room, and refuse everyone else', async () => {
    const { owner, channelId, chat } = await room();
    const [moderator, viewer] = await Promise.all([chatter('mod'), chatter('viewer')]);
    const message = await send(chat, viewer.token, 'delete me');
    const other = await send(chat, viewer.token, 'keep me');

    for (const [method, path, body] of [
      ['DELETE', `/messages/${message.body.id}`, undefined],
      ['POST', '/clear', undefined],
      ['POST', `/bans/${owner.id}`, {}],
      ['PATCH', '/settings', { emoteOnly: true }],
    ] as const) {
      const answer = await call(`${chat}${path}`, { method, token: viewer.token, body });
      expect({ path, status: answer.status, code: answer.body.code }).toEqual({ path, status: 403, code: 'CHAT_NOT_MODERATOR' });
    }
    const moderatorEvents = () =>
      Promise.all(['chat.message.deleted.v1', 'chat.room.cleared.v1', 'chat.room.updated.v1'].map((t) => events(channelId, t)));
    expect((await moderatorEvents()).flat()).toEqual([]);

    await makeModerator(channelId, owner, moderator);
    const modMessage = await send(chat, moderator.token, 'I moderate here');
    expect(modMessage.body.badges).toEqual(['MODERATOR']);

    const deleted = await call(`${chat}/messages/${message.body.id}`, { method: 'DELETE', token: moderator.token });
    expect(deleted.status).toBe(200);
    expect((await events(channelId, 'chat.message.deleted.v1'))[0].data).toMatchObject({
      messageId: message.body.id,
      senderId: viewer.id,
      deletedBy: moderator.id,
    });
    expect((await call(`${chat}/messages`)).body.data.map((m: { id: string }) => m.id)).toEqual([modMessage.body.id, other.body.id]);
    const again = await call(`${chat}/messages/${message.body.id}`, { method: 'DELETE', token: moderator.token });
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 404, code: 'CHAT_MESSAGE_NOT_FOUND' });

    const cleared = await call(`${chat}/clear`, { method: 'POST', token: moderator.token });
    expect(cleared.status).toBe(200);
    expect((await events(channelId, 'chat.room.cleared.v1'))[0].data).toMatchObject({ clearedBy: moderator.id });
    expect((await call(`${chat}/messages`)).body).toMatchObject({ data: [], total: 0 });

    const removed = await call(`${api}/channels/${channelId}/moderators/${moderator.id}`, { method: 'DELETE', token: owner.token });
    expect(removed.body.moderators).toEqual([]);
    await eventually(async () => (await call(`${chat}/clear`, { method: 'POST', token: moderator.token })).status === 403);
  });

  it('should let only the broadcaster name moderators and VIPs', async () => {
    const { owner, channelId } = await room();
    const viewer = await chatter('viewer');
    const notOwner = await call(`${api}/channels/${channelId}/moderators/${viewer.id}`, { method: 'POST', token: viewer.token });
    expect({ status: notOwner.status, code: notOwner.body.code }).toEqual({ status: 403, code: 'CHNL_NOT_OWNER' });
    const vip = await call(`${api}/channels/${channelId}/vips/${viewer.id}`, { method: 'POST', token: owner.token });
    expect(vip.status).toBe(200);
    expect(vip.body.vips).toEqual([expect.objectContaining({ user: { id: viewer.id, login: viewer.login } })]);
    await eventually(async () => {
      const sent = await send(`${api}/channels/${channelId}/chat`, viewer.token, `vip ${Date.now()}`);
      return sent.body.badges?.includes('VIP');
    });
  });
});

/** The same path on Kafka: the room comes from the channel event, accepted messages reach the bus in order. */
describe('Chat over the Private API on Kafka', () => {
  let platform: TestPlatform;
  let bus: EventBus;

  beforeAll(async () => {
    bus = await kafkaBusForTests('chat-e2e');
    platform = await startTestPlatform(bus);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('should publish accepted messages keyed by channel, in order, and nothing for a refused one', async () => {
    const { api } = platform;
    const owner = await signUpAndLogIn(api, 'kcaster');
    const channelId = await eventually(
      async () => (await call(`${api}/me`, { token: owner.token })).body?.channel?.id as string | undefined,
      30_000,
    );
    const chat = `${api}/channels/${channelId}/chat`;
    await eventually(async () => (await call(`${chat}/settings`)).status === 200, 30_000);

    const received: { key: string | null; text: string }[] = [];
    await bus.ensureTopics(['chat.message.created.v1']);
    const subscription = await bus.subscribe({
      groupId: `chat-e2e-${randomUUID()}`,
      topics: ['chat.message.created.v1'],
      fromBeginning: true,
      handle: async (message) => {
        const event = parseEvent('chat.message.created.v1', message.value);
        if (event.data.channelId === channelId) received.push({ key: message.key, text: event.data.text });
      },
    });
    try {
      // 503 until the chat domain has learnt the new account's name from its event.
      const send = (text: string) =>
        eventually(async () => {
          const sent = await call(`${chat}/messages`, { method: 'POST', token: owner.token, body: { text } });
          return sent.status === 503 ? undefined : sent.status;
        }, 30_000);
      const statuses = [];
      for (const text of ['one', 'x'.repeat(501), 'two', 'three']) statuses.push(await send(text));
      expect(statuses).toEqual([201, 400, 201, 201]);
      await eventually(async () => received.length >= 3, 30_000);
      expect(received).toEqual(['one', 'two', 'three'].map((text) => ({ key: channelId, text })));
    } finally {
      await subscription.stop();
    }
  }, 90_000);
});
