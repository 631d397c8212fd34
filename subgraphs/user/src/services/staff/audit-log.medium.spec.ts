import { randomUUID } from 'node:crypto';
import { createScratchDatabase } from '../../../../../test/support/database';
import { makeEvent } from '../../../../../kernel/events';
import { identities } from '../../../../../test/support/identities';
import { connectUserDb, type UserDb } from '../../data/db';
import { AuditLogService, appendDomainRecord, recordAudit } from './audit-log';

const MFA_MAX_AGE = 900;

/** Against a real PostgreSQL: the audit log is written with the act it records and read newest first. */
describe(AuditLogService.name, () => {
  let db: UserDb;
  let drop: () => Promise<void>;
  let service: AuditLogService;

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectUserDb(database.url, 4);
    service = new AuditLogService(db.prisma, MFA_MAX_AGE);
  });

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const auditor = () => identities.staff(randomUUID(), ['audit:read']);

  it("should append another domain's record once, under its own id and time, however often it is delivered", async () => {
    const recordId = randomUUID();
    const actorId = randomUUID();
    const event = makeEvent('ptfm.audit.recorded.v1', {
      recordId,
      at: '2026-11-27T12:00:00.000Z',
      actorId,
      action: 'category.created',
      targetType: 'category',
      targetId: randomUUID(),
      reason: 'launch',
      requestId: 'req-1',
      details: { name: 'Chess' },
    });
    expect(await appendDomainRecord(db.prisma, event)).toBe('appended');
    expect(await appendDomainRecord(db.prisma, event)).toBe('duplicate');
    const { nodes } = await service.search(auditor(), { actorId });
    expect(nodes).toEqual([
      expect.objectContaining({
        id: recordId,
        at: new Date('2026-11-27T12:00:00.000Z'),
        action: 'category.created',
        details: { name: 'Chess' },
      }),
    ]);
  });

  it('should record an act in its transaction, so a rolled-back act leaves no record', async () => {
    const actor = { userId: randomUUID(), requestId: randomUUID() };
    await db.prisma.$transaction((tx) =>
      recordAudit(tx, actor, 'role.created', { type: 'role', id: 'kept' }, 'why', { permissions: ['users:read'] }),
    );
    await expect(
      db.prisma.$transaction(async (tx) => {
        await recordAudit(tx, actor, 'role.created', { type: 'role', id: 'rolled-back' }, null);
        throw new Error('the act failed');
      }),
    ).rejects.toThrow('the act failed');
    const { nodes } = await service.search(auditor(), { actorId: actor.userId });
    expect(nodes).toEqual([
      expect.objectContaining({
        action: 'role.created',
        targetType: 'role',
        targetId: 'kept',
        reason: 'why',
        requestId: actor.requestId,
        details: { permissions: ['users:read'] },
      }),
    ]);
  });

  it('should page newest first through records of the same millisecond without skipping or repeating', async () => {
    const actorId = randomUUID();
    const at = new Date('2026-01-02T03:04:05.678Z');
    const ids = Array.from({ length: 5 }, () => randomUUID());
    await db.prisma.auditRecord.createMany({
      data: ids.map((id) => ({ id, at, actorId, action: 'users.searched', targetType: 'query', targetId: 'same', requestId: 'spec' })),
    });
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<AuditLogService['search']>> = await service.search(auditor(), { actorId, first: 2, after });
      expect(page.totalCount).toBe(5);
      seen.push(...page.nodes.map((n) => n.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual([...ids].sort().reverse());
  });

  it('should combine filters, and match nothing for an actor that is not an id', async () => {
    const actorId = randomUUID();
    const rows = [
      { at: new Date('2026-02-01T00:00:00Z'), action: 'user.suspended', targetId: 'a' },
      { at: new Date('2026-02-02T00:00:00Z'), action: 'user.unsuspended', targetId: 'a' },
      { at: new Date('2026-02-03T00:00:00Z'), action: 'user.suspended', targetId: 'b' },
    ];
    await db.prisma.auditRecord.createMany({
      data: rows.map((r) => ({ ...r, id: randomUUID(), actorId, targetType: 'user', requestId: 'spec' })),
    });
    const search = async (filter: Parameters<AuditLogService['search']>[1]) =>
      (await service.search(auditor(), { actorId, ...filter })).nodes.map((n) => [n.action, n.targetId]);
    expect(await search({})).toEqual([
      ['user.suspended', 'b'],
      ['user.unsuspended', 'a'],
      ['user.suspended', 'a'],
    ]);
    expect(await search({ action: 'user.suspended', targetId: 'a' })).toEqual([['user.suspended', 'a']]);
    expect(await search({ since: '2026-02-02T00:00:00Z', until: '2026-02-03T00:00:00Z' })).toEqual([['user.unsuspended', 'a']]);
    expect(await search({ actorId: 'someone' })).toEqual([]);
  });

  it('should refuse a bad cursor or time, and callers without audit:read', async () => {
    await expect(service.search(auditor(), { after: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'after' }],
    });
    await expect(service.search(auditor(), { since: 'yesterday' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'since', message: 'is not a time' }],
    });
    await expect(service.search(identities.staff(randomUUID(), ['users:read']), {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(service.search(identities.staff(randomUUID(), ['audit:read'], MFA_MAX_AGE + 5), {})).rejects.toMatchObject({
      code: 'STAFF_MFA_REQUIRED',
    });
    await expect(service.search(identities.anonymous(), {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('should record a staff read another domain serves only for staff holding its permission', async () => {
    const finance = identities.staff(randomUUID(), ['payments:read']);
    await service.recordStaffRead(finance, 'ListPayouts', '{"state":"PAID"}');
    await expect(service.recordStaffRead(finance, 'ListPaymentFlags', '{}')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const stale = identities.staff(finance.userId, ['payments:read'], MFA_MAX_AGE + 1);
    await expect(service.recordStaffRead(stale, 'ListPayouts', '{}')).rejects.toMatchObject({ code: 'STAFF_MFA_REQUIRED' });
    await expect(service.recordStaffRead(finance, 'SearchUsers', '{}')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const { nodes } = await service.search(auditor(), { actorId: finance.userId });
    expect(nodes.map((r) => [r.action, r.targetType, r.targetId, r.details])).toEqual([
      ['payments.payouts_listed', 'operation', 'ListPayouts', { variables: '{"state":"PAID"}' }],
    ]);
  });
});
