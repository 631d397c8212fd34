import { randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor, MAX_PAGE_SIZE, pageSize, rowsAfter, toPage } from './paging';

describe('keyset paging', () => {
  const position = { at: new Date('2026-01-02T03:04:05.678Z'), id: randomUUID() };

  it('should read back the position a cursor was made from', () => {
    expect(decodeCursor(encodeCursor(position), 'after')).toEqual(position);
  });

  it('should make cursors that are opaque URL-safe strings', () => {
    expect(encodeCursor(position)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('should read no position from an absent cursor', () => {
    expect(decodeCursor(undefined, 'after')).toBeUndefined();
    expect(decodeCursor(null, 'after')).toBeUndefined();
    expect(decodeCursor('', 'after')).toBeUndefined();
  });

  it.each([
    ['not base64 JSON', 'bm90LWEtY3Vyc29y'],
    ['a time that is not one', Buffer.from(JSON.stringify(['yesterday', position.id])).toString('base64url')],
    ['an id that is not a UUID', Buffer.from(JSON.stringify([position.at.toISOString(), 'x'])).toString('base64url')],
    ['an object', Buffer.from(JSON.stringify({ at: position.at })).toString('base64url')],
  ])('should refuse a forged cursor (%s), naming the argument that carried it', (_, cursor) => {
    expect(() => decodeCursor(cursor, 'before')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', fields: [{ field: 'before', message: 'is not a cursor from this API' }] }),
    );
  });

  it('should keep page sizes within 1 and the maximum, with a default', () => {
    expect(pageSize(undefined, 20)).toBe(20);
    expect(pageSize(null, 50)).toBe(50);
    expect(pageSize(0, 20)).toBe(1);
    expect(pageSize(-5, 20)).toBe(1);
    expect(pageSize(MAX_PAGE_SIZE + 1, 20)).toBe(MAX_PAGE_SIZE);
  });

  it('should select the rows older than the position, then those of its time past its id in the list order', () => {
    expect(rowsAfter(position, 'sentAt', 'id', 'desc')).toEqual({
      OR: [{ sentAt: { lt: position.at } }, { sentAt: position.at, id: { lt: position.id } }],
    });
    expect(rowsAfter(position, 'createdAt', 'userId', 'asc')).toEqual({
      OR: [{ createdAt: { lt: position.at } }, { createdAt: position.at, userId: { gt: position.id } }],
    });
  });

  describe(toPage.name, () => {
    const rows = [1, 2, 3].map((n) => ({ n, at: new Date(n * 1000), id: randomUUID() }));
    const positionOf = (row: (typeof rows)[number]) => ({ at: row.at, id: row.id });

    it('should keep the extra row out of the page and point the cursor at the last row shown', () => {
      const page = toPage(rows, 2, 10, positionOf);

      expect(page.nodes).toEqual(rows.slice(0, 2));
      expect(page.totalCount).toBe(10);
      expect(page.pageInfo.hasNextPage).toBe(true);
      expect(decodeCursor(page.pageInfo.endCursor, 'after')).toEqual(positionOf(rows[1]!));
    });

    it('should give the last page no cursor', () => {
      expect(toPage(rows, 3, 3, positionOf).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
      expect(toPage([], 3, 0, positionOf)).toEqual({ nodes: [], totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null } });
    });
  });
});
