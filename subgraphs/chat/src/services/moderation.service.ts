import { requireService } from '../../../../kernel/access';
import { DomainError } from '../../../../kernel/errors';
import type { Identity } from '../../../../kernel/identity';
import { isUuid } from '../../../../kernel/ids';
import { recordEvent, type Ban, type BlockedTerm } from '../data/db';
import LIMITS from '../../limits.json';
import { Prisma, type PrismaClient } from '../data/prisma/client';
import type { RoomsService } from './rooms.service';

/** A ban without a duration is permanent; one with a duration is a timeout, bounded as on Twitch. */
const { 'ban.durationSeconds': TIMEOUT_SECONDS, 'ban.reason': REASON, 'blockedTerm.term': TERM } = LIMITS;
const MAX_TERMS_PER_ROOM = 1000;
/** A page of the bans in force: few round trips for a gateway starting, small enough for one answer. */
const ACTIVE_BANS_PAGE_MAX = 1000;

/** A page of the bans in force, in (room, user) order, and the cursor of the next. */
export interface ActiveBansPage {
  nodes: Ban[];
  endCursor: string | null;
}

/**
 * The cursor of the bans in force: opaque, base64url of `[channelId, userId]`. Not the time cursor of the other
 * lists: a ban has no id of its own, and (room, user) is its key, which orders every ban once.
 */
const encodeBanCursor = (ban: Pick<Ban, 'channelId' | 'userId'>) =>
  Buffer.from(JSON.stringify([ban.channelId, ban.userId])).toString('base64url');

function decodeBanCursor(cursor: string): [string, string] {
  try {
    const position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(position) && position.length === 2 && position.every(isUuid)) return position as [string, string];
  } catch {
    // not JSON: refused below as a cursor naming nothing
  }
  throw new DomainError('VALIDATION_FAILED', 'the cursor is invalid', {
    fields: [{ field: 'after', message: 'is not a cursor from this API' }],
  });
}

/** Bans, timeouts and blocked terms: what the broadcaster and the channel's moderators decide. */
export class ModerationService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly rooms: RoomsService,
  ) {}

  /**
   * Bans a user (no duration) or times them out; banning again replaces the previous ban. The user's messages
   * leave the history while it lasts, and the ban is broadcast so that their open subscriptions are closed.
   */
  async ban(identity: Identity, channelId: string, userId: string, durationSeconds?: number | null, reason?: string | null): Promise<Ban> {
    const { room, moderatorId } = await this.rooms.moderate(identity, channelId, 'moderator:manage:banned_users');
    if (!isUuid(userId)) throw new DomainError('USER_NOT_FOUND', 'no such user');
    if (
      durationSeconds != null &&
      (!Number.isInteger(durationSeconds) || durationSeconds < TIMEOUT_SECONDS.minimum || durationSeconds > TIMEOUT_SECONDS.maximum)
    ) {
      throw new DomainError('VALIDATION_FAILED', 'the timeout is invalid', {
        fields: [{ field: 'durationSeconds', message: `must be an integer from ${TIMEOUT_SECONDS.minimum} to ${TIMEOUT_SECONDS.maximum}` }],
      });
    }
    const why = reason?.trim() || null;
    if (why && why.length > REASON.maxLength) {
      throw new DomainError('VALIDATION_FAILED', 'the reason is too long', {
        fields: [{ field: 'reason', message: `at most ${REASON.maxLength} characters` }],
      });
    }
    if (userId === moderatorId) throw new DomainError('CHAT_BAN_REFUSED', 'you cannot ban yourself');
    if (userId === room.ownerId) throw new DomainError('CHAT_BAN_REFUSED', 'the broadcaster cannot be banned from their own room');
    if (moderatorId !== room.ownerId && (await this.rooms.standing(room, userId)).moderator) {
      throw new DomainError('CHAT_BAN_REFUSED', 'only the broadcaster may ban a moderator');
    }
    const bannedAt = new Date();
    const expiresAt = durationSeconds != null ? new Date(bannedAt.getTime() + durationSeconds * 1000) : null;
    return this.prisma.$transaction(async (tx) => {
      const values = { moderatorId, reason: why, expiresAt, createdAt: bannedAt };
      const ban = await tx.ban.upsert({
        where: { channelId_userId: { channelId, userId } },
        create: { channelId, userId, ...values },
        update: values,
      });
      await recordEvent(tx, 'chat.user.banned.v1', channelId, {
        channelId,
        userId,
        moderatorId,
        reason: why,
        expiresAt: expiresAt?.toISOString() ?? null,
        bannedAt: bannedAt.toISOString(),
      });
      return ban;
    });
  }

  /** Lifts a ban or a timeout; unbanning a user who is not banned changes nothing. */
  async unban(identity: Identity, channelId: string, userId: string): Promise<void> {
    const { moderatorId } = await this.rooms.moderate(identity, channelId, 'moderator:manage:banned_users');
    if (!isUuid(userId)) throw new DomainError('USER_NOT_FOUND', 'no such user');
    await this.prisma.$transaction(async (tx) => {
      const lifted = await tx.ban.deleteMany({ where: { channelId, userId } });
      // Realtime gateways keep the bans they were told of: they learn of the lift the same way.
      if (lifted.count)
        await recordEvent(tx, 'chat.user.unbanned.v1', channelId, { channelId, userId, moderatorId, unbannedAt: new Date().toISOString() });
    });
  }

  /**
   * Every ban and unexpired timeout of every room, for the platform's own services only: a realtime gateway
   * starting knows them before it lets anyone subscribe (it learns the later ones from chat.user.banned.v1).
   */
  async activeBans(identity: Identity, first: number, after?: string | null, now = new Date()): Promise<ActiveBansPage> {
    requireService(identity);
    const size = Math.min(Math.max(Math.trunc(first), 1), ACTIVE_BANS_PAGE_MAX);
    const position = after ? decodeBanCursor(after) : undefined;
    const rows = await this.prisma.ban.findMany({
      where: {
        OR: [{ expiresAt: null }, { expiresAt: { gt: now } }],
        ...(position
          ? { AND: [{ OR: [{ channelId: { gt: position[0] } }, { channelId: position[0], userId: { gt: position[1] } }] }] }
          : {}),
      },
      orderBy: [{ channelId: 'asc' }, { userId: 'asc' }],
      take: size + 1,
    });
    const nodes = rows.slice(0, size);
    const last = nodes[nodes.length - 1];
    return { nodes, endCursor: rows.length > size && last ? encodeBanCursor(last) : null };
  }

  async blockedTerms(identity: Identity, channelId: string): Promise<BlockedTerm[]> {
    await this.rooms.moderate(identity, channelId, 'moderator:read:blocked_terms');
    return this.prisma.blockedTerm.findMany({ where: { channelId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  /** Messages containing the term (case-insensitively, after normalisation) are refused from now on. */
  async addBlockedTerm(identity: Identity, channelId: string, rawTerm: string): Promise<BlockedTerm> {
    const { moderatorId } = await this.rooms.moderate(identity, channelId, 'moderator:manage:blocked_terms');
    const term = rawTerm.normalize('NFKC').replace(/\s+/gu, ' ').trim();
    if (term.length < TERM.minLength || term.length > TERM.maxLength) {
      throw new DomainError('VALIDATION_FAILED', 'the term is invalid', {
        fields: [{ field: 'term', message: `from ${TERM.minLength} to ${TERM.maxLength} characters` }],
      });
    }
    if ((await this.prisma.blockedTerm.count({ where: { channelId } })) >= MAX_TERMS_PER_ROOM) {
      throw new DomainError('VALIDATION_FAILED', `a room holds at most ${MAX_TERMS_PER_ROOM} blocked terms`, {
        fields: [{ field: 'term', message: 'too many terms' }],
      });
    }
    try {
      return await this.prisma.blockedTerm.create({ data: { channelId, term, createdBy: moderatorId } });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new DomainError('CHAT_BLOCKED_TERM_EXISTS', 'this term is blocked already');
      }
      throw error;
    }
  }

  /** Removes a blocked term; the room's remaining terms are answered. */
  async removeBlockedTerm(identity: Identity, channelId: string, termId: string): Promise<BlockedTerm[]> {
    await this.rooms.moderate(identity, channelId, 'moderator:manage:blocked_terms');
    if (isUuid(termId)) await this.prisma.blockedTerm.deleteMany({ where: { id: termId, channelId } });
    return this.prisma.blockedTerm.findMany({ where: { channelId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }
}
