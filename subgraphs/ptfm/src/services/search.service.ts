import { oncePerEventSql } from '../../../../kernel/bus/once';
import { DomainError } from '../../../../kernel/errors';
import type { EventOf } from '../../../../kernel/events';
import { decodeRankCursor, encodeRankCursor, type Page, pageSize } from '../../../../kernel/paging';
import type { Category } from '../data/db';
import { Prisma, type PrismaClient } from '../data/prisma/client';

/** The longest query searched; longer ones are refused rather than cut. */
export const MAX_QUERY_LENGTH = 100;

/** Below this trigram similarity a name is not a typo of the query. */
const TYPO_SIMILARITY = 0.3;

/**
 * A live channel's rank is this times (1 + its current viewers) plus its relevance, which stays below it: every
 * live channel ranks above every offline one, live ones by viewers, and relevance orders channels with as many.
 */
const LIVE_BONUS = 1000;

export interface ChannelHit {
  id: string;
  ownerId: string;
  login: string;
  displayName: string;
  title: string;
  category: string;
  tags: string[];
  live: boolean;
}

export interface UserHit {
  id: string;
  login: string;
  displayName: string;
}

type Ranked<T> = T & { rank: number };

/** One change to a field of the channel copy: its value and the time of the event that carried it. */
type Stamped<T> = { value: T; at: Date } | undefined;

/**
 * Search over the platform domain's read model: its copies of accounts and channels, kept by ptfm-search-wkr from
 * the user, chnl and live events, and its own category catalogue. A query never reaches another domain.
 *
 * Matching is PostgreSQL full-text search (the `simple` configuration: names and titles in any language, no
 * stemming) or a trigram similarity above 0.3 (pg_trgm: a misspelt login still matches) or a login prefix. The rank
 * adds the text rank and the similarities, an exact login counting most; live channels come first, the most watched
 * first. Pages are keyset pages on (rank, id): a cursor is the last rank and id seen, so the next page starts after
 * them whatever changed meanwhile (a channel whose viewers changed between two pages may move across them).
 */
export class SearchService {
  constructor(private readonly prisma: PrismaClient) {}

  async accountCreated(event: EventOf<'user.account.created.v1'>, group: string) {
    const { userId, login, displayName } = event.data;
    return this.once(
      group,
      event.id,
      Prisma.sql`INSERT INTO search_user (user_id, login, display_name) SELECT ${userId}::uuid, ${login}, ${displayName} FROM first_delivery
        ON CONFLICT (user_id) DO UPDATE SET login = EXCLUDED.login, display_name = EXCLUDED.display_name
        RETURNING 1`,
    );
  }

  /** A suspension or a reinstatement: the newest of them wins, whatever order they arrive in. */
  async accountStatusChanged(event: EventOf<'user.account.suspended.v1'> | EventOf<'user.account.unsuspended.v1'>, group: string) {
    const suspended = event.type === 'user.account.suspended.v1';
    const at = new Date('suspendedAt' in event.data ? event.data.suspendedAt : event.data.unsuspendedAt);
    return this.once(
      group,
      event.id,
      Prisma.sql`INSERT INTO search_user (user_id, suspended, status_at) SELECT ${event.data.userId}::uuid, ${suspended}, ${at} FROM first_delivery
        ON CONFLICT (user_id) DO UPDATE SET suspended = EXCLUDED.suspended, status_at = EXCLUDED.status_at
          WHERE search_user.status_at IS NULL OR search_user.status_at <= EXCLUDED.status_at
        RETURNING 1`,
    );
  }

  async channelCreated(event: EventOf<'chnl.channel.created.v1'>, group: string) {
    const { channelId, ownerId, title, category } = event.data;
    const at = new Date(event.data.createdAt);
    return this.once(
      group,
      event.id,
      channelChange(channelId, ownerId, {
        title: title === undefined ? undefined : { value: title, at },
        category: category === undefined ? undefined : { value: category, at },
      }),
    );
  }

  async channelUpdated(event: EventOf<'chnl.channel.updated.v1'>, group: string) {
    const { channelId, ownerId, changes } = event.data;
    const at = new Date(event.data.updatedAt);
    return this.once(
      group,
      event.id,
      channelChange(channelId, ownerId, {
        title: changes.title === undefined ? undefined : { value: changes.title, at },
        category: changes.category === undefined ? undefined : { value: changes.category, at },
        tags: changes.tags === undefined ? undefined : { value: changes.tags, at },
      }),
    );
  }

  async streamStarted(event: EventOf<'live.stream.started.v1'>, group: string) {
    const { channelId, ownerId, title, category } = event.data;
    const at = new Date(event.data.startedAt);
    return this.once(
      group,
      event.id,
      channelChange(channelId, ownerId, {
        title: { value: title, at },
        category: { value: category, at },
        live: { value: true, at },
      }),
    );
  }

  async streamEnded(event: EventOf<'live.stream.ended.v1'>, group: string) {
    const at = new Date(event.data.endedAt);
    return this.once(group, event.id, channelChange(event.data.channelId, null, { live: { value: false, at } }));
  }

  /**
   * One gateway instance's viewer counts: they replace the instance's previous ones (a channel it no longer names
   * has none of its viewers), unless a newer report of it is held already. Reports are not from an outbox and
   * carry their own order (`countedAt`), so no event id is remembered.
   */
  async viewersCounted(event: EventOf<'live.viewers.counted.v1'>): Promise<'applied' | 'stale'> {
    const { instanceId, ttlSeconds, counts } = event.data;
    const countedAt = new Date(event.data.countedAt);
    const expiresAt = new Date(countedAt.getTime() + ttlSeconds * 1000);
    return this.prisma.$transaction(async (tx) => {
      const held = await tx.$executeRaw`
        INSERT INTO search_viewer_report (instance_id, counted_at, expires_at) VALUES (${instanceId}, ${countedAt}, ${expiresAt})
        ON CONFLICT (instance_id) DO UPDATE SET counted_at = EXCLUDED.counted_at, expires_at = EXCLUDED.expires_at
          WHERE search_viewer_report.counted_at < EXCLUDED.counted_at`;
      if (held === 0) return 'stale' as const;
      await tx.$executeRaw`DELETE FROM search_viewers WHERE instance_id = ${instanceId}`;
      if (counts.length > 0)
        await tx.$executeRaw`
          INSERT INTO search_viewers (channel_id, instance_id, viewers, expires_at)
          SELECT c, ${instanceId}, v, ${expiresAt}
          FROM unnest(${counts.map((c) => c.channelId)}::uuid[], ${counts.map((c) => c.viewers)}::int[]) AS t(c, v)`;
      return 'applied' as const;
    });
  }

  /** Every copy this service keeps is one upsert: the mark and the upsert go in one statement (`oncePerEventSql`). */
  private async once(group: string, eventId: string, effect: Prisma.Sql): Promise<'applied' | 'duplicate'> {
    return (await oncePerEventSql(this.prisma, group, eventId, effect)) === 'duplicate' ? 'duplicate' : 'applied';
  }

  async channels(
    query: string,
    options: { liveOnly?: boolean | null; first?: number | null; after?: string | null },
  ): Promise<Page<ChannelHit>> {
    const text = searchText(query);
    const liveOnly = options.liveOnly ? Prisma.sql`AND c.live` : Prisma.empty;
    const ranked = Prisma.sql`
      WITH q AS (SELECT plainto_tsquery('simple', ${text}) AS ts, ${text}::text AS text, ${likePrefix(text)}::text AS prefix),
      docs AS (
        SELECT c.channel_id AS id, c.owner_id AS "ownerId", u.login, u.display_name AS "displayName", c.title, c.category,
               c.tags, c.live,
               to_tsvector('simple', concat_ws(' ', u.login, u.display_name, c.title, c.category, array_to_string(c.tags, ' '))) AS doc
        FROM search_channel c JOIN search_user u ON u.user_id = c.owner_id
        WHERE NOT u.suspended AND u.login IS NOT NULL ${liveOnly}
      ),
      ranked AS (
        SELECT d.id::text, d."ownerId"::text, d.login, d."displayName", d.title, d.category, d.tags, d.live,
               ((CASE WHEN d.live THEN ${LIVE_BONUS} * (1 + COALESCE(v.viewers, 0)) ELSE 0 END) + ts_rank(d.doc, q.ts)
                 + (CASE WHEN d.login = q.text THEN 3 ELSE 0 END)
                 + 2 * similarity(d.login, q.text) + similarity(d."displayName", q.text)
                 + word_similarity(q.text, d.title))::float8 AS rank
        FROM docs d CROSS JOIN q
          LEFT JOIN LATERAL (
            SELECT sum(sv.viewers) AS viewers FROM search_viewers sv WHERE sv.channel_id = d.id AND sv.expires_at > now()
          ) v ON d.live
        WHERE (d.doc @@ q.ts OR d.login LIKE q.prefix
           OR similarity(d.login, q.text) > ${TYPO_SIMILARITY} OR similarity(d."displayName", q.text) > ${TYPO_SIMILARITY}
           OR word_similarity(q.text, d.title) > ${TYPO_SIMILARITY} OR word_similarity(q.text, d.category) > ${TYPO_SIMILARITY})
      )`;
    return this.page<ChannelHit>(ranked, options.first, options.after);
  }

  async users(query: string, options: { first?: number | null; after?: string | null }): Promise<Page<UserHit>> {
    const text = searchText(query);
    const ranked = Prisma.sql`
      WITH q AS (SELECT plainto_tsquery('simple', ${text}) AS ts, ${text}::text AS text, ${likePrefix(text)}::text AS prefix),
      docs AS (
        SELECT user_id AS id, login, display_name AS "displayName", to_tsvector('simple', concat_ws(' ', login, display_name)) AS doc
        FROM search_user WHERE NOT suspended AND login IS NOT NULL
      ),
      ranked AS (
        SELECT d.id::text, d.login, d."displayName",
               (ts_rank(d.doc, q.ts) + (CASE WHEN d.login = q.text THEN 3 ELSE 0 END)
                 + 2 * similarity(d.login, q.text) + similarity(d."displayName", q.text))::float8 AS rank
        FROM docs d, q
        WHERE d.doc @@ q.ts OR d.login LIKE q.prefix
           OR similarity(d.login, q.text) > ${TYPO_SIMILARITY} OR similarity(d."displayName", q.text) > ${TYPO_SIMILARITY}
      )`;
    return this.page<UserHit>(ranked, options.first, options.after);
  }

  async categories(query: string, options: { first?: number | null; after?: string | null }): Promise<Page<Category>> {
    const text = searchText(query);
    const ranked = Prisma.sql`
      WITH q AS (SELECT plainto_tsquery('simple', ${text}) AS ts, ${text}::text AS text, ${likePrefix(text)}::text AS prefix),
      ranked AS (
        SELECT c.id::text, c.name, c.slug, c.box_art_url AS "boxArtUrl", c.created_at AS "createdAt", c.updated_at AS "updatedAt",
               (ts_rank(to_tsvector('simple', c.name), q.ts) + (CASE WHEN lower(c.name) = q.text THEN 3 ELSE 0 END)
                 + 2 * similarity(c.name, q.text) + word_similarity(q.text, c.name))::float8 AS rank
        FROM category c, q
        WHERE to_tsvector('simple', c.name) @@ q.ts OR lower(c.name) LIKE q.prefix OR c.slug LIKE q.prefix
           OR similarity(c.name, q.text) > ${TYPO_SIMILARITY} OR word_similarity(q.text, c.name) > ${TYPO_SIMILARITY}
      )`;
    return this.page<Category>(ranked, options.first, options.after);
  }

  /** One keyset page of a ranked result (`ranked`, a WITH ending in a CTE named ranked), and its size. */
  private async page<T extends { id: string }>(ranked: Prisma.Sql, first?: number | null, after?: string | null): Promise<Page<T>> {
    const size = pageSize(first, 20);
    const position = decodeRankCursor(after, 'after');
    const afterPosition = position
      ? Prisma.sql`WHERE rank < ${position.rank}::float8 OR (rank = ${position.rank}::float8 AND id > ${position.id})`
      : Prisma.empty;
    const [rows, [{ count }]] = await Promise.all([
      this.prisma.$queryRaw<Ranked<T>[]>`${ranked} SELECT * FROM ranked ${afterPosition} ORDER BY rank DESC, id LIMIT ${size + 1}`,
      this.prisma.$queryRaw<[{ count: number }]>`${ranked} SELECT count(*)::int AS count FROM ranked`,
    ]);
    const nodes = rows.slice(0, size);
    const last = nodes[nodes.length - 1];
    const hasNextPage = rows.length > size;
    return {
      nodes: nodes.map(({ rank: _rank, ...node }) => node as unknown as T),
      totalCount: count,
      pageInfo: { hasNextPage, endCursor: hasNextPage && last ? encodeRankCursor({ rank: last.rank, id: last.id }) : null },
    };
  }
}

/** Writes the fields an event carries into the channel copy, each only over an older value of it. */
function channelChange(
  channelId: string,
  ownerId: string | null,
  fields: { title?: Stamped<string>; category?: Stamped<string>; tags?: Stamped<string[]>; live?: Stamped<boolean> },
): Prisma.Sql {
  const { title, category, tags, live } = fields;
  return Prisma.sql`
    INSERT INTO search_channel (channel_id, owner_id, title, title_at, category, category_at, tags, tags_at, live, live_at)
    SELECT ${channelId}::uuid, ${ownerId}::uuid, ${title?.value ?? ''}, ${title?.at ?? null}, ${category?.value ?? ''},
           ${category?.at ?? null}, ${tags?.value ?? []}::text[], ${tags?.at ?? null}, ${live?.value ?? false}, ${live?.at ?? null}
    FROM first_delivery
    ON CONFLICT (channel_id) DO UPDATE SET
      owner_id = COALESCE(EXCLUDED.owner_id, search_channel.owner_id),
      ${newer('title')}, ${newer('category')}, ${newer('tags')}, ${newer('live')}
    RETURNING 1`;
}

/** `SET` of one stamped field of search_channel: the incoming value when it is newer than the one held. */
const newer = (field: 'title' | 'category' | 'tags' | 'live') => {
  const value = Prisma.raw(field);
  const at = Prisma.raw(`${field}_at`);
  const isNewer = Prisma.sql`EXCLUDED.${at} IS NOT NULL AND (search_channel.${at} IS NULL OR search_channel.${at} <= EXCLUDED.${at})`;
  return Prisma.sql`${value} = CASE WHEN ${isNewer} THEN EXCLUDED.${value} ELSE search_channel.${value} END,
    ${at} = CASE WHEN ${isNewer} THEN EXCLUDED.${at} ELSE search_channel.${at} END`;
};

/** The query as searched: trimmed, lower-case (logins are), 1 to 100 characters, no control characters. */
function searchText(query: string): string {
  const text = query.trim().toLowerCase();
  // Control characters match nothing a name or title holds, and PostgreSQL refuses NUL in text outright.
  if (!text || text.length > MAX_QUERY_LENGTH || /\p{Cc}/u.test(text)) {
    throw new DomainError('VALIDATION_FAILED', 'the query is invalid', {
      fields: [{ field: 'query', message: `must hold 1 to ${MAX_QUERY_LENGTH} characters, none of them control characters` }],
    });
  }
  return text;
}

/** A LIKE pattern of the names starting with `text`, its wildcards escaped (logins hold `_`). */
const likePrefix = (text: string) => `${text.replace(/[\\%_]/g, '\\$&')}%`;
