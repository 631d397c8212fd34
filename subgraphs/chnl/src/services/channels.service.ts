import { randomUUID } from 'node:crypto';
import { actingUser, requireScope } from '../../../../kernel/access';
import { DomainError, type FieldProblem } from '../../../../kernel/errors';
import { oncePerEvent, oncePerEventSql } from '../../../../kernel/bus/once';
import { makeEvent, type EventOf } from '../../../../kernel/events';
import { outboxRowSql } from '../../../../kernel/outbox/record';
import { isUuid } from '../../../../kernel/ids';
import type { Identity } from '../../../../kernel/identity';
import { decodeCursor, pageSize, rowsAfter, toPage, type Page } from '../../../../kernel/paging';
import type { Scope } from '../../../../kernel/scopes';
import LIMITS from '../../limits.json';
import { Prisma, type PrismaClient } from '../data/prisma/client';
import { CHNL_SCHEMA, recordEvent, type Channel, type ChannelRole, type ChannelRoleKind, type Follow } from '../data/db';

export interface UpdateChannelInput {
  title?: string | null;
  category?: string | null;
  categoryId?: string | null;
  language?: string | null;
  tags?: string[] | null;
  mature?: boolean | null;
}

export type FollowersPage = Page<Follow>;

/** The OAuth scopes (as Twitch names them) an app needs to manage each role for its user. */
const ROLE_SCOPES: Record<ChannelRoleKind, Scope> = { moderator: 'channel:manage:moderators', vip: 'channel:manage:vips' };
const LANGUAGE = new RegExp(LIMITS['channel.language'].pattern);
const { 'channel.title': TITLE, 'channel.category': CATEGORY, 'channel.tags': TAGS } = LIMITS;

/** Channels and follows: the only writer of the chnl schema. */
export class ChannelsService {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Creates the channel of a new account. Safe to run any number of times for the same event: the event id is
   * recorded with the effect, and the owner has at most one channel. One statement writes the mark, the channel and
   * its event: this worker is first in the chain every sign-up starts, and an interactive transaction of the same
   * writes took seven round trips and most of its CPU per account in the client.
   */
  async provision(event: EventOf<'user.account.created.v1'>, consumerGroup: string): Promise<'created' | 'duplicate'> {
    const { userId: ownerId, displayName } = event.data;
    const channel = { id: randomUUID(), ownerId, title: `${displayName}'s stream` };
    const created = makeEvent('chnl.channel.created.v1', {
      channelId: channel.id,
      ownerId,
      title: channel.title,
      category: '',
      createdAt: new Date().toISOString(),
    });
    const written = await oncePerEventSql(
      this.prisma,
      consumerGroup,
      event.id,
      Prisma.sql`INSERT INTO channel (id, owner_id, title, updated_at)
        SELECT ${channel.id}::uuid, ${ownerId}::uuid, ${channel.title}, now() FROM first_delivery
        ON CONFLICT DO NOTHING
        RETURNING created_at`,
      outboxRowSql(CHNL_SCHEMA, created, channel.id, 'effect', { createdAt: 'created_at' }),
    );
    return written === 1 ? 'created' : 'duplicate';
  }

  /** The broadcaster only; an app needs channel:manage:broadcast. */
  async update(channelId: string, caller: Identity, input: UpdateChannelInput): Promise<Channel> {
    requireScope(caller, 'channel:manage:broadcast');
    const callerId = actingUser(caller);
    const changes: ChannelChanges = validateChanges(input);
    const channel = await this.get(channelId);
    if (channel.ownerId !== callerId) throw new DomainError('CHNL_NOT_OWNER', 'only the channel owner can change it');
    if (Object.keys(changes).length === 0 && input.categoryId == null) return channel;
    return this.prisma.$transaction(async (tx) => {
      Object.assign(changes, await categoryChanges(tx, input));
      const updated = await tx.channel.update({ where: { id: channelId }, data: changes });
      await recordEvent(tx, 'chnl.channel.updated.v1', updated.id, {
        channelId: updated.id,
        ownerId: updated.ownerId,
        changes,
        updatedAt: updated.updatedAt.toISOString(),
      });
      return updated;
    });
  }

  /**
   * Keeps the copy of the ptfm category catalogue, newest write first, and moves channels over to it: a channel
   * whose free-text category is the entry's name (in any case) now references it, and channels referencing a renamed
   * entry show its new name. Neither publishes chnl.channel.updated.v1: the category's own event tells its name.
   */
  async categoryChanged(
    event: EventOf<'ptfm.category.created.v1'> | EventOf<'ptfm.category.updated.v1'>,
    consumerGroup: string,
  ): Promise<{ linked: number; renamed: number } | 'stale' | 'duplicate'> {
    const { categoryId, name, changedAt } = event.data;
    const at = new Date(changedAt);
    return oncePerEvent(this.prisma, consumerGroup, event.id, async (tx) => {
      const known = await tx.category.findUnique({ where: { id: categoryId } });
      if (known && known.changedAt >= at) return 'stale';
      await tx.category.upsert({
        where: { id: categoryId },
        create: { id: categoryId, name, changedAt: at },
        update: { name, changedAt: at },
      });
      const renamed = await tx.channel.updateMany({ where: { categoryId, NOT: { category: name } }, data: { category: name } });
      const linked = await tx.channel.updateMany({
        where: { categoryId: null, category: { equals: name, mode: 'insensitive' } },
        data: { categoryId },
      });
      return { linked: linked.count, renamed: renamed.count };
    });
  }

  /** Idempotent: following twice leaves one follow, one event and a count that moved once. */
  async follow(channelId: string, userId: string | undefined): Promise<Channel> {
    if (!userId) throw new DomainError('UNAUTHENTICATED', 'log in to follow a channel');
    const channel = await this.get(channelId);
    if (channel.ownerId === userId) throw new DomainError('CHNL_SELF_FOLLOW', 'you cannot follow your own channel');
    return this.prisma.$transaction(async (tx) => {
      const inserted = await tx.follow.createMany({ data: [{ channelId, userId }], skipDuplicates: true });
      if (inserted.count === 0) return tx.channel.findUniqueOrThrow({ where: { id: channelId } });
      const [updated, follow] = await Promise.all([
        tx.channel.update({ where: { id: channelId }, data: { followerCount: { increment: 1 } } }),
        tx.follow.findUniqueOrThrow({ where: { channelId_userId: { channelId, userId } } }),
      ]);
      await recordEvent(tx, 'chnl.follow.created.v1', channelId, {
        channelId,
        ownerId: updated.ownerId,
        userId,
        followedAt: follow.createdAt.toISOString(),
      });
      return updated;
    });
  }

  /** Idempotent: unfollowing a channel one does not follow changes nothing. */
  async unfollow(channelId: string, userId: string | undefined): Promise<Channel> {
    if (!userId) throw new DomainError('UNAUTHENTICATED', 'log in to unfollow a channel');
    await this.get(channelId);
    return this.prisma.$transaction(async (tx) => {
      const deleted = await tx.follow.deleteMany({ where: { channelId, userId } });
      if (deleted.count === 0) return tx.channel.findUniqueOrThrow({ where: { id: channelId } });
      const updated = await tx.channel.update({ where: { id: channelId }, data: { followerCount: { decrement: 1 } } });
      await recordEvent(tx, 'chnl.follow.deleted.v1', channelId, {
        channelId,
        userId,
        unfollowedAt: new Date().toISOString(),
      });
      return updated;
    });
  }

  /**
   * The broadcaster gives a user a role in their channel (moderators moderate its chat, VIPs get a badge).
   * Idempotent: granting a role held already changes nothing and emits nothing.
   */
  async grantRole(identity: Identity, channelId: string, userId: string, role: ChannelRoleKind): Promise<Channel> {
    const channel = await this.ownedBy(identity, channelId, role);
    if (!isUuid(userId)) throw new DomainError('USER_NOT_FOUND', 'no such user');
    if (userId === channel.ownerId) throw new DomainError('CHNL_SELF_ROLE', 'the broadcaster already holds every right in their channel');
    return this.prisma.$transaction(async (tx) => {
      const inserted = await tx.channelRole.createMany({ data: [{ channelId, userId, role }], skipDuplicates: true });
      if (inserted.count === 0) return channel;
      const row = await tx.channelRole.findUniqueOrThrow({ where: { channelId_role_userId: { channelId, role, userId } } });
      const data = { channelId, ownerId: channel.ownerId, userId, at: row.createdAt.toISOString() };
      if (role === 'moderator') await recordEvent(tx, 'chnl.moderator.added.v1', channelId, data);
      else await recordEvent(tx, 'chnl.vip.added.v1', channelId, data);
      return channel;
    });
  }

  /** Idempotent: revoking a role the user does not hold changes nothing. */
  async revokeRole(identity: Identity, channelId: string, userId: string, role: ChannelRoleKind): Promise<Channel> {
    const channel = await this.ownedBy(identity, channelId, role);
    if (!isUuid(userId)) throw new DomainError('USER_NOT_FOUND', 'no such user');
    return this.prisma.$transaction(async (tx) => {
      const deleted = await tx.channelRole.deleteMany({ where: { channelId, userId, role } });
      if (deleted.count === 0) return channel;
      const data = { channelId, ownerId: channel.ownerId, userId, at: new Date().toISOString() };
      if (role === 'moderator') await recordEvent(tx, 'chnl.moderator.removed.v1', channelId, data);
      else await recordEvent(tx, 'chnl.vip.removed.v1', channelId, data);
      return channel;
    });
  }

  /** A channel's moderators or VIPs, longest-standing first. */
  async members(channelId: string, role: ChannelRoleKind): Promise<ChannelRole[]> {
    return this.prisma.channelRole.findMany({ where: { channelId, role }, orderBy: [{ createdAt: 'asc' }, { userId: 'asc' }] });
  }

  /** Newest first, keyset-paginated on (followed at, user id) so pages stay stable while people follow. */
  async followers(
    channel: Channel,
    viewer: Identity,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<FollowersPage> {
    // Our own apps show followers on the channel page to anyone; a third-party app reads them only for the
    // broadcaster who granted channel:read:followers.
    if (viewer.kind === 'oauth') {
      requireScope(viewer, 'channel:read:followers');
      if (actingUser(viewer) !== channel.ownerId)
        throw new DomainError('CHNL_NOT_OWNER', "only the broadcaster's token may read the followers");
    }
    const size = pageSize(first, 20);
    const cursor = decodeCursor(after, 'after');
    const rows = await this.prisma.follow.findMany({
      where: { channelId: channel.id, ...(cursor && rowsAfter(cursor, 'createdAt', 'userId', 'asc')) },
      orderBy: [{ createdAt: 'desc' }, { userId: 'asc' }],
      take: size + 1,
    });
    return toPage(rows, size, channel.followerCount, (f) => ({ at: f.createdAt, id: f.userId }));
  }

  async byIds(ids: readonly string[]): Promise<(Channel | null)[]> {
    const rows = await this.prisma.channel.findMany({ where: { id: { in: unique(ids.filter(isUuid)) } } });
    const byId = new Map(rows.map((c) => [c.id, c]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async byOwnerIds(ownerIds: readonly string[]): Promise<(Channel | null)[]> {
    const rows = await this.prisma.channel.findMany({ where: { ownerId: { in: unique(ownerIds.filter(isUuid)) } } });
    const byOwner = new Map(rows.map((c) => [c.ownerId, c]));
    return ownerIds.map((id) => byOwner.get(id) ?? null);
  }

  /** Which of these channels the user follows, in one query. */
  async followedBy(userId: string, channelIds: readonly string[]): Promise<boolean[]> {
    const rows = await this.prisma.follow.findMany({
      where: { userId, channelId: { in: unique(channelIds.filter(isUuid)) } },
      select: { channelId: true },
    });
    const followed = new Set(rows.map((r) => r.channelId));
    return channelIds.map((id) => followed.has(id));
  }

  private async ownedBy(identity: Identity, channelId: string, role: ChannelRoleKind): Promise<Channel> {
    const callerId = actingUser(identity);
    requireScope(identity, ROLE_SCOPES[role]);
    const channel = await this.get(channelId);
    if (channel.ownerId !== callerId) throw new DomainError('CHNL_NOT_OWNER', 'only the broadcaster manages their channel');
    return channel;
  }

  private async get(channelId: string): Promise<Channel> {
    const channel = isUuid(channelId) ? await this.prisma.channel.findUnique({ where: { id: channelId } }) : null;
    if (!channel) throw new DomainError('CHNL_NOT_FOUND', 'no such channel');
    return channel;
  }
}

const unique = (values: string[]) => [...new Set(values)];

type ChannelChanges = {
  title?: string;
  category?: string;
  categoryId?: string | null;
  language?: string;
  tags?: string[];
  mature?: boolean;
};

/**
 * The category a change puts the channel in. A categoryId names an entry of the catalogue, whose name the
 * free-text field then shows; a free text alone (the published v1 routes) is kept as written, and references the
 * entry of that name when the catalogue has one.
 */
async function categoryChanges(tx: Prisma.TransactionClient, input: UpdateChannelInput): Promise<ChannelChanges> {
  if (input.categoryId != null) {
    const category = isUuid(input.categoryId) ? await tx.category.findUnique({ where: { id: input.categoryId } }) : null;
    if (!category) throw new DomainError('CHNL_CATEGORY_NOT_FOUND', 'no such category');
    return { category: category.name, categoryId: category.id };
  }
  if (input.category == null) return {};
  const named = input.category
    ? await tx.category.findFirst({ where: { name: { equals: input.category, mode: 'insensitive' } }, orderBy: { changedAt: 'desc' } })
    : null;
  return { categoryId: named?.id ?? null };
}

function validateChanges(input: UpdateChannelInput) {
  const problems: FieldProblem[] = [];
  const changes: ChannelChanges = {};
  if (input.title != null) {
    if (input.title.length > TITLE.maxLength) problems.push({ field: 'title', message: `must be at most ${TITLE.maxLength} characters` });
    changes.title = input.title;
  }
  if (input.category != null) {
    if (input.category.length > CATEGORY.maxLength)
      problems.push({ field: 'category', message: `must be at most ${CATEGORY.maxLength} characters` });
    changes.category = input.category;
  }
  if (input.language != null) {
    if (!LANGUAGE.test(input.language)) problems.push({ field: 'language', message: 'must be an ISO 639-1 code' });
    changes.language = input.language;
  }
  if (input.tags != null) {
    if (input.tags.length > TAGS.maxItems || input.tags.some((t) => t.length < TAGS.items.minLength || t.length > TAGS.items.maxLength)) {
      problems.push({
        field: 'tags',
        message: `at most ${TAGS.maxItems} tags of ${TAGS.items.minLength}–${TAGS.items.maxLength} characters`,
      });
    }
    changes.tags = input.tags;
  }
  if (input.mature != null) changes.mature = input.mature;
  if (problems.length) throw new DomainError('VALIDATION_FAILED', 'the channel fields are invalid', { fields: problems });
  return changes;
}
