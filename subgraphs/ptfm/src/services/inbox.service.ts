import { DomainError } from '../../../../kernel/errors';
import { isUuid } from '../../../../kernel/ids';
import { decodeCursor, type Page, pageSize, type Position, toPage } from '../../../../kernel/paging';
import type { PrismaClient } from '../data/prisma/client';

/** One inbox row with what its announcement says, as the Notification type shows it. */
export interface InboxRow {
  id: string;
  kind: 'go_live';
  channelId: string;
  streamId: string;
  broadcaster: { id: string; login: string; displayName: string };
  title: string;
  category: string;
  thumbnailUrl: string | null;
  startedAt: Date;
  read: boolean;
  createdAt: Date;
}

interface RawRow {
  id: string;
  stream_id: string;
  channel_id: string;
  owner_id: string;
  owner_login: string;
  owner_display_name: string;
  title: string;
  category: string;
  thumbnail_url: string | null;
  started_at: Date;
  read_at: Date | null;
  created_at: Date;
}

const toInboxRow = (row: RawRow): InboxRow => ({
  id: row.id,
  kind: 'go_live',
  channelId: row.channel_id,
  streamId: row.stream_id,
  broadcaster: { id: row.owner_id, login: row.owner_login, displayName: row.owner_display_name },
  title: row.title,
  category: row.category,
  thumbnailUrl: row.thumbnail_url,
  startedAt: row.started_at,
  read: row.read_at !== null,
  createdAt: row.created_at,
});

/** How long the inbox keeps a notification. */
export const INBOX_RETENTION_DAYS = 30;

/** Sentinel bounds of the keyset: a page with no cursor starts after the newest possible row. */
const NEWEST = { at: new Date('9999-12-31T00:00:00Z'), id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };
const OLDEST = { at: new Date(0), id: '00000000-0000-0000-0000-000000000000' };

export type InboxPage = Page<InboxRow> & { unreadCount: number };

/**
 * A user's inbox: their notifications newest first (keyset on created_at, id), their unread count, marking read.
 * The rows of one fan-out slice share their created_at, so the id breaks ties.
 */
export class InboxService {
  constructor(private readonly prisma: PrismaClient) {}

  async page(userId: string, args: { first?: number | null; after?: string | null; newerThan?: string | null }): Promise<InboxPage> {
    const size = pageSize(args.first, 20);
    const from = decodeCursor(args.after, 'after') ?? NEWEST;
    const until = args.newerThan ? await this.positionOf(userId, args.newerThan, 'newerThan') : OLDEST;
    const [rows, counts] = await Promise.all([
      this.prisma.$queryRaw<RawRow[]>`
        SELECT n.id::text, n.stream_id::text, a.channel_id::text, a.owner_id::text, a.owner_login, a.owner_display_name,
               a.title, a.category, a.thumbnail_url, a.started_at, n.read_at, n.created_at
          FROM notification n JOIN announcement a ON a.stream_id = n.stream_id
         WHERE n.user_id = ${userId}::uuid
           AND (n.created_at, n.id) < (${from.at}, ${from.id}::uuid)
           AND (n.created_at, n.id) > (${until.at}, ${until.id}::uuid)
         ORDER BY n.created_at DESC, n.id DESC
         LIMIT ${size + 1}`,
      this.prisma.$queryRaw<{ total: number; unread: number }[]>`
        SELECT count(*)::int AS total, count(*) FILTER (WHERE read_at IS NULL)::int AS unread
          FROM notification WHERE user_id = ${userId}::uuid`,
    ]);
    const page = toPage(rows.map(toInboxRow), size, counts[0].total, (row): Position => ({ at: row.createdAt, id: row.id }));
    return { ...page, unreadCount: counts[0].unread };
  }

  /** Marks read the user's notifications up to `upToId` (it and every older one), or all of them. */
  async markRead(userId: string, upToId?: string | null): Promise<{ marked: number; unreadCount: number }> {
    const upTo = upToId ? await this.positionOf(userId, upToId, 'upToId') : NEWEST;
    return this.prisma.$transaction(async (tx) => {
      const marked = await tx.$executeRaw`
        UPDATE notification SET read_at = now()
         WHERE user_id = ${userId}::uuid AND read_at IS NULL
           AND (created_at, id) <= (${upTo.at}, ${upTo.id}::uuid)`;
      const unreadCount = await tx.notification.count({ where: { userId, readAt: null } });
      return { marked, unreadCount };
    });
  }

  /** Drops the notifications older than the retention, announcement by announcement; returns the rows removed. */
  async prune(now: Date, batch = 50): Promise<number> {
    const before = new Date(now.getTime() - INBOX_RETENTION_DAYS * 86_400_000);
    let removed = 0;
    for (;;) {
      const old = await this.prisma.announcement.findMany({
        where: { createdAt: { lt: before } },
        select: { streamId: true },
        take: batch,
      });
      if (old.length === 0) return removed;
      const streamIds = old.map((a) => a.streamId);
      const [deleted] = await this.prisma.$transaction([
        this.prisma.notification.deleteMany({ where: { streamId: { in: streamIds } } }),
        this.prisma.fanoutJob.deleteMany({ where: { streamId: { in: streamIds } } }),
        this.prisma.announcement.deleteMany({ where: { streamId: { in: streamIds } } }),
      ]);
      removed += deleted.count;
    }
  }

  private async positionOf(userId: string, id: string, field: string): Promise<Position> {
    const row = isUuid(id)
      ? await this.prisma.notification.findFirst({ where: { id, userId }, select: { id: true, createdAt: true } })
      : null;
    if (!row) {
      throw new DomainError('PTFM_NOTIFICATION_NOT_FOUND', 'no such notification in your inbox', {
        fields: [{ field, message: 'names no notification of yours' }],
      });
    }
    return { at: row.createdAt, id: row.id };
  }
}
