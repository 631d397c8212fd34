import { randomUUID } from 'node:crypto';
import { makeEvent } from '../../../../kernel/events';
import { startChatServices, type ChatServices } from '../../../../test/support/chat';
import { identities } from '../../../../test/support/identities';
import LIMITS from '../../limits.json';
import { ModerationService } from './moderation.service';

const TIMEOUT_SECONDS = { min: LIMITS['ban.durationSeconds'].minimum, max: LIMITS['ban.durationSeconds'].maximum };

const { session } = identities;

/** ModerationService against a real PostgreSQL: who may ban whom, for how long, and what is emitted. */
describe(ModerationService.name, () => {
  let chat: ChatServices;
  let moderation: ModerationService;

  beforeAll(async () => {
    chat = await startChatServices();
    moderation = chat.moderation;
  });

  afterAll(() => chat?.close());

  it('should time a user out and ban them for good, a new ban replacing the last, each emitted as chat.user.banned.v1', async () => {
    const room = await chat.room();
    const before = Date.now();
    const timeout = await moderation.ban(session(room.moderatorId), room.channelId, room.viewerId, 600, '  spam  ');
    expect(timeout).toMatchObject({ userId: room.viewerId, moderatorId: room.moderatorId, reason: 'spam' });
    expect(timeout.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 600_000);
    expect(timeout.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 600_000);
    const ban = await moderation.ban(session(room.ownerId), room.channelId, room.viewerId, null, '');
    expect(ban).toMatchObject({ moderatorId: room.ownerId, reason: null, expiresAt: null });
    expect(await chat.db.prisma.ban.findMany({ where: { channelId: room.channelId } })).toHaveLength(1);
    expect((await chat.outbox(room.channelId, 'chat.user.banned.v1')).map((e) => e.data)).toEqual([
      {
        channelId: room.channelId,
        userId: room.viewerId,
        moderatorId: room.moderatorId,
        reason: 'spam',
        expiresAt: timeout.expiresAt!.toISOString(),
        bannedAt: expect.any(String),
      },
      {
        channelId: room.channelId,
        userId: room.viewerId,
        moderatorId: room.ownerId,
        reason: null,
        expiresAt: null,
        bannedAt: expect.any(String),
      },
    ]);
  });

  it('should refuse timeouts outside 1 second to 14 days and reasons over 500 characters, naming the field', async () => {
    const room = await chat.room();
    const owner = session(room.ownerId);
    for (const duration of [TIMEOUT_SECONDS.min - 1, TIMEOUT_SECONDS.max + 1, 1.5]) {
      await expect(moderation.ban(owner, room.channelId, room.viewerId, duration, null)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        fields: [{ field: 'durationSeconds' }],
      });
    }
    await expect(moderation.ban(owner, room.channelId, room.viewerId, null, 'x'.repeat(501))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'reason' }],
    });
    await expect(moderation.ban(owner, room.channelId, room.viewerId, TIMEOUT_SECONDS.max, 'x'.repeat(500))).resolves.toBeDefined();
    await expect(moderation.ban(owner, room.channelId, room.vipId, TIMEOUT_SECONDS.min, null)).resolves.toBeDefined();
    expect(await chat.outbox(room.channelId, 'chat.user.banned.v1')).toHaveLength(2);
  });

  it('should refuse bans of oneself, of the broadcaster, and of a moderator by another moderator', async () => {
    const room = await chat.room();
    const otherModerator = await chat.chatter();
    await chat.projections.roleChanged(
      makeEvent('chnl.moderator.added.v1', {
        channelId: room.channelId,
        ownerId: room.ownerId,
        userId: otherModerator,
        at: new Date().toISOString(),
      }),
      'spec',
    );
    const moderator = session(room.moderatorId);
    await expect(moderation.ban(moderator, room.channelId, room.moderatorId, null, null)).rejects.toMatchObject({
      code: 'CHAT_BAN_REFUSED',
    });
    await expect(moderation.ban(moderator, room.channelId, room.ownerId, null, null)).rejects.toMatchObject({ code: 'CHAT_BAN_REFUSED' });
    await expect(moderation.ban(moderator, room.channelId, otherModerator, null, null)).rejects.toMatchObject({ code: 'CHAT_BAN_REFUSED' });
    await expect(moderation.ban(session(room.ownerId), room.channelId, otherModerator, 60, null)).resolves.toMatchObject({
      userId: otherModerator,
    });
  });

  it('should refuse viewers, VIPs, apps without the scope, malformed users and unknown rooms', async () => {
    const room = await chat.room();
    await expect(moderation.ban(session(room.vipId), room.channelId, room.viewerId, null, null)).rejects.toMatchObject({
      code: 'CHAT_NOT_MODERATOR',
    });
    await expect(moderation.ban(session(room.viewerId), room.channelId, room.vipId, null, null)).rejects.toMatchObject({
      code: 'CHAT_NOT_MODERATOR',
    });
    await expect(
      moderation.ban(identities.oauth(room.ownerId, ['chat:edit']), room.channelId, room.viewerId, null, null),
    ).rejects.toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
    });
    await expect(moderation.ban(session(room.ownerId), room.channelId, 'not-a-user', null, null)).rejects.toMatchObject({
      code: 'USER_NOT_FOUND',
    });
    await expect(moderation.ban(session(room.ownerId), randomUUID(), room.viewerId, null, null)).rejects.toMatchObject({
      code: 'CHAT_ROOM_NOT_FOUND',
    });
    await expect(moderation.unban(session(room.vipId), room.channelId, room.viewerId)).rejects.toMatchObject({
      code: 'CHAT_NOT_MODERATOR',
    });
    expect(await chat.db.prisma.ban.count({ where: { channelId: room.channelId } })).toBe(0);
    expect(await chat.outbox(room.channelId)).toEqual([]);
  });

  it('should lift a ban once, emitting chat.user.unbanned.v1, and change nothing when the user is not banned', async () => {
    const room = await chat.room();
    const moderator = session(room.moderatorId);
    await moderation.unban(moderator, room.channelId, room.viewerId);
    expect(await chat.outbox(room.channelId)).toEqual([]);
    await moderation.ban(moderator, room.channelId, room.viewerId, 60, null);
    await moderation.unban(moderator, room.channelId, room.viewerId);
    await moderation.unban(moderator, room.channelId, room.viewerId);
    expect(await chat.db.prisma.ban.count({ where: { channelId: room.channelId } })).toBe(0);
    expect((await chat.outbox(room.channelId, 'chat.user.unbanned.v1')).map((e) => e.data)).toEqual([
      { channelId: room.channelId, userId: room.viewerId, moderatorId: room.moderatorId, unbannedAt: expect.any(String) },
    ]);
  });

  it('should keep blocked terms normalised and unique, list and remove them for moderators only', async () => {
    const room = await chat.room();
    const moderator = session(room.moderatorId);
    const term = await moderation.addBlockedTerm(moderator, room.channelId, '  ｂａｄ\t  word ');
    expect(term).toMatchObject({ channelId: room.channelId, term: 'bad word', createdBy: room.moderatorId });
    await expect(moderation.addBlockedTerm(moderator, room.channelId, 'bad word')).rejects.toMatchObject({
      code: 'CHAT_BLOCKED_TERM_EXISTS',
    });
    for (const invalid of ['x', ' x ', 'y'.repeat(101)]) {
      await expect(moderation.addBlockedTerm(moderator, room.channelId, invalid)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        fields: [{ field: 'term' }],
      });
    }
    const second = await moderation.addBlockedTerm(moderator, room.channelId, 'z'.repeat(100));
    await expect(moderation.blockedTerms(session(room.vipId), room.channelId)).rejects.toMatchObject({ code: 'CHAT_NOT_MODERATOR' });
    await expect(
      moderation.blockedTerms(identities.oauth(room.moderatorId, ['moderator:manage:blocked_terms']), room.channelId),
    ).rejects.toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
    });
    const listed = await moderation.blockedTerms(identities.oauth(room.moderatorId, ['moderator:read:blocked_terms']), room.channelId);
    expect(listed.map((t) => t.id)).toEqual([term.id, second.id]);
    await expect(
      moderation.removeBlockedTerm(identities.oauth(room.moderatorId, ['moderator:read:blocked_terms']), room.channelId, term.id),
    ).rejects.toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
    });
    expect((await moderation.removeBlockedTerm(moderator, room.channelId, term.id)).map((t) => t.id)).toEqual([second.id]);
    expect((await moderation.removeBlockedTerm(moderator, room.channelId, 'not-an-id')).map((t) => t.id)).toEqual([second.id]);
    const other = await chat.room();
    expect(await moderation.removeBlockedTerm(session(other.ownerId), other.channelId, second.id)).toEqual([]);
    expect((await moderation.blockedTerms(moderator, room.channelId)).map((t) => t.id)).toEqual([second.id]);
  });

  it('should hold at most 1000 blocked terms per room', async () => {
    const room = await chat.room();
    await chat.db.prisma.blockedTerm.createMany({
      data: Array.from({ length: 999 }, (_, i) => ({ channelId: room.channelId, term: `term ${i}`, createdBy: room.ownerId })),
    });
    const owner = session(room.ownerId);
    await expect(moderation.addBlockedTerm(owner, room.channelId, 'the thousandth')).resolves.toBeDefined();
    await expect(moderation.addBlockedTerm(owner, room.channelId, 'one too many')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'term' }],
    });
    expect(await chat.db.prisma.blockedTerm.count({ where: { channelId: room.channelId } })).toBe(1000);
  });

  it('should list the bans and unexpired timeouts in force to services only, page after page', async () => {
    const room = await chat.room();
    const owner = session(room.ownerId);
    await moderation.ban(owner, room.channelId, room.viewerId, null, null);
    await moderation.ban(owner, room.channelId, room.vipId, 60, null);
    await moderation.ban(owner, room.channelId, room.moderatorId, 1, null);
    const later = new Date(Date.now() + 2_000);
    const listed: { channelId: string; userId: string; expiresAt: Date | null }[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<ModerationService['activeBans']>> = await moderation.activeBans(identities.service(), 2, after, later);
      expect(page.nodes.length).toBeLessThanOrEqual(2);
      listed.push(...page.nodes);
      after = page.endCursor;
      pages += 1;
    } while (after);
    expect(pages).toBeGreaterThan(1);
    const mine = listed.filter((ban) => ban.channelId === room.channelId);
    expect(mine.map((ban) => [ban.userId, ban.expiresAt === null]).sort()).toEqual(
      [
        [room.viewerId, true],
        [room.vipId, false],
      ].sort(),
    );
    expect(new Set(listed.map((ban) => `${ban.channelId} ${ban.userId}`)).size).toBe(listed.length);

    for (const caller of [owner, identities.anonymous(), identities.staff(room.ownerId, ['users:read'])]) {
      await expect(moderation.activeBans(caller, 10)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    await expect(moderation.activeBans(identities.service(), 10, 'not-a-cursor')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'after' }],
    });
  });
});
