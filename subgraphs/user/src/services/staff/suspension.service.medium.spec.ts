import { randomUUID } from 'node:crypto';
import { createScratchDatabase } from '../../../../../test/support/database';
import { identities } from '../../../../../test/support/identities';
import { newUser } from '../../../../../test/support/staff';
import { connectUserDb, type UserDb } from '../../data/db';
import { SuspensionService } from './suspension.service';

const MFA_MAX_AGE = 900;

/** Against a real PostgreSQL: what staff do to accounts, each act audited and each change announced once. */
describe(SuspensionService.name, () => {
  let db: UserDb;
  let drop: () => Promise<void>;
  let service: SuspensionService;

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectUserDb(database.url, 4);
    service = new SuspensionService(db.prisma, MFA_MAX_AGE);
  });

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const trustSafety = () => identities.staff(randomUUID(), ['users:read', 'users:suspend']);
  const outboxTopics = async (key: string) =>
    (await db.prisma.outboxEvent.findMany({ where: { key }, orderBy: { createdAt: 'asc' } })).map((e) => e.topic);
  const actions = async (targetId: string) =>
    (await db.prisma.auditRecord.findMany({ where: { targetId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] })).map((r) => [
      r.action,
      r.reason,
    ]);

  it('should suspend an account once: refresh tokens revoked, one audit record, one event', async () => {
    const staff = trustSafety();
    const user = await newUser(db.prisma);
    await db.prisma.refreshToken.create({
      data: { userId: user.id, familyId: randomUUID(), tokenHash: randomUUID(), expiresAt: new Date(Date.now() + 3600_000) },
    });

    const suspended = await service.suspend(staff, user.id, ' spam ');
    expect(suspended.suspendedAt).toBeInstanceOf(Date);
    expect(await service.suspend(staff, user.id, 'again')).toMatchObject({ suspendedAt: suspended.suspendedAt });
    expect((await db.prisma.refreshToken.findMany({ where: { userId: user.id } })).map((t) => t.revokedAt)).toEqual([
      suspended.suspendedAt,
    ]);
    expect(await outboxTopics(user.id)).toEqual(['user.account.suspended.v1']);

    expect(await service.unsuspend(staff, user.id, 'appeal upheld')).toMatchObject({ suspendedAt: null });
    expect(await service.unsuspend(staff, user.id, 'twice')).toMatchObject({ suspendedAt: null });
    expect(await outboxTopics(user.id)).toEqual(['user.account.suspended.v1', 'user.account.unsuspended.v1']);
    expect(await actions(user.id)).toEqual([
      ['user.suspended', 'spam'],
      ['user.unsuspended', 'appeal upheld'],
    ]);
  });

  it('should refuse a suspension without a reason, of oneself, of nobody, or by staff without the permission', async () => {
    const staff = trustSafety();
    const user = await newUser(db.prisma);
    await expect(service.suspend(staff, user.id, '  ')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'reason', message: 'is required' }],
    });
    await expect(service.suspend(staff, user.id, 'x'.repeat(501))).rejects.toMatchObject({
      fields: [{ field: 'reason', message: 'must be at most 500 characters' }],
    });
    await expect(service.suspend(staff, staff.userId, 'me')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'userId', message: 'is you' }],
    });
    await expect(service.suspend(staff, randomUUID(), 'ghost')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    await expect(service.unsuspend(staff, 'not-a-uuid', 'ghost')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    await expect(service.suspend(identities.staff(randomUUID(), ['users:read']), user.id, 'no right')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(service.suspend(identities.session(randomUUID()), user.id, 'no staff')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await outboxTopics(user.id)).toEqual([]);
    expect(await actions(user.id)).toEqual([]);
  });

  it('should find accounts by login or email prefix or by id, each search audited', async () => {
    const staff = trustSafety();
    const user = await newUser(db.prisma);
    expect((await service.searchUsers(staff, user.login.toUpperCase())).map((u) => u.id)).toEqual([user.id]);
    expect((await service.searchUsers(staff, user.email.slice(0, 6))).map((u) => u.id)).toContain(user.id);
    expect((await service.searchUsers(staff, user.id)).map((u) => u.id)).toEqual([user.id]);
    await expect(service.searchUsers(staff, 'a')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ field: 'query' }] });
    await expect(service.searchUsers(identities.staff(staff.userId, ['users:suspend']), user.login)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(
      (await db.prisma.auditRecord.findMany({ where: { actorId: staff.userId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] })).map((r) => [
        r.action,
        r.targetId,
      ]),
    ).toEqual([
      ['users.searched', user.login],
      ['users.searched', user.email.slice(0, 6)],
      ['users.searched', user.id],
    ]);
  });

  it("should let staff read accounts' private fields only with users:read and a fresh second factor", () => {
    const userId = randomUUID();
    expect(service.canReadUsers(identities.staff(userId, ['users:read']))).toBe(true);
    expect(service.canReadUsers(identities.staff(userId, ['users:read'], MFA_MAX_AGE + 5))).toBe(false);
    expect(service.canReadUsers(identities.staff(userId, ['users:suspend']))).toBe(false);
    expect(service.canReadUsers(identities.session(userId))).toBe(false);
  });
});
