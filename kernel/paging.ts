import { DomainError } from './errors';
import { isUuid } from './ids';
import LIMITS from './limits.json';

/** The most rows one page holds, whatever the caller asks for. */
export const MAX_PAGE_SIZE = LIMITS['page.first'].maximum;

export interface PageInfo {
  /** Where the next page starts; null on the last page. */
  endCursor: string | null;
  hasNextPage: boolean;
}

export interface Page<T> {
  nodes: T[];
  totalCount: number;
  pageInfo: PageInfo;
}

/** Where a page ends in a list sorted by time: the last row's time, and its id to break ties within one time. */
export interface Position {
  at: Date;
  id: string;
}

/** The page size a caller gets: what it asked for, within the limits of `first`. */
export const pageSize = (first: number | null | undefined, byDefault: number): number =>
  Math.min(Math.max(first ?? byDefault, LIMITS['page.first'].minimum), MAX_PAGE_SIZE);

/** The one cursor format: opaque to clients, base64url of `[time, id]`. */
export const encodeCursor = ({ at, id }: Position): string => Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');

/** The position a cursor names, or a validation failure on `field` (the argument that carried it). */
export function decodeCursor(cursor: string | null | undefined, field: string): Position | undefined {
  if (!cursor) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(typeof at === 'string' ? at : Number.NaN);
    if (typeof id === 'string' && isUuid(id) && !Number.isNaN(date.getTime())) return { at: date, id };
  } catch {
    // not JSON: the same refusal as a well-formed cursor naming nothing
  }
  throw new DomainError('VALIDATION_FAILED', 'the cursor is invalid', { fields: [{ field, message: 'is not a cursor from this API' }] });
}

/**
 * The rows after `position` in a list sorted newest first, then by id in `idOrder`: the condition to add to the
 * list's own filter (Prisma's `where`), on the row fields that hold the time and the id.
 */
export function rowsAfter<TimeField extends string, IdField extends string>(
  position: Position,
  timeField: TimeField,
  idField: IdField,
  idOrder: 'asc' | 'desc',
) {
  type Earlier = Record<TimeField, { lt: Date }>;
  type SameTimeLaterId = Record<TimeField, Date> & Record<IdField, { gt: string } | { lt: string }>;
  const laterId = idOrder === 'asc' ? { gt: position.id } : { lt: position.id };
  return {
    OR: [{ [timeField]: { lt: position.at } } as Earlier, { [timeField]: position.at, [idField]: laterId } as SameTimeLaterId],
  };
}

/**
 * A page of `size` rows from rows fetched with `take: size + 1`: the extra row only tells that a next page exists,
 * and the cursor names the page's last row.
 */
export function toPage<T>(rows: T[], size: number, totalCount: number, positionOf: (row: T) => Position): Page<T> {
  const nodes = rows.slice(0, size);
  const hasNextPage = rows.length > size;
  const last = nodes[nodes.length - 1];
  return { nodes, totalCount, pageInfo: { hasNextPage, endCursor: hasNextPage && last ? encodeCursor(positionOf(last)) : null } };
}

/** Where a page ends in a list sorted by a computed rank, highest first: the last row's rank, and its id to break ties. */
export interface RankPosition {
  rank: number;
  id: string;
}

/** The cursor of a ranked list (search results): opaque to clients, base64url of `[rank, id]`. */
export const encodeRankCursor = ({ rank, id }: RankPosition): string => Buffer.from(JSON.stringify([rank, id])).toString('base64url');

/** The position a ranked list's cursor names, or a validation failure on `field`. */
export function decodeRankCursor(cursor: string | null | undefined, field: string): RankPosition | undefined {
  if (!cursor) return undefined;
  try {
    const [rank, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof rank === 'number' && Number.isFinite(rank) && typeof id === 'string' && isUuid(id)) return { rank, id };
  } catch {
    // not JSON: the same refusal as a well-formed cursor naming nothing
  }
  throw new DomainError('VALIDATION_FAILED', 'the cursor is invalid', { fields: [{ field, message: 'is not a cursor from this API' }] });
}
