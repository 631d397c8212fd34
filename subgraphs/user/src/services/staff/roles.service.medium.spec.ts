import { randomUUID } from 'node:crypto';
import { STAFF_PERMISSIONS } from '../../../../../kernel/staff-permissions';
import { createScratchDatabase } from '../../../../../test/support/database';
import { identities } from '../../../../../test/support/identities';
import { makeStaff, newUser } from '../../../../../test/support/staff';
import { connectUserDb, type UserDb } from '../../data/db';
import { totpStep } from '../totp';
import { StaffRolesService, bootstrapAdmin } from './roles.service';

const MFA_MAX_AGE = 900;

/** Against a real PostgreSQL: roles, who holds them, and the audit record of every change. */
describe(StaffRolesService.name, () => {
  let db: UserDb;
  let drop: () => Promise<void>;
  let service: StaffRolesService;

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectUserDb(database.url, 4);
    service = new StaffRolesService(db.prisma, MFA_MAX_AGE);
  });

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const admin = async () => {
    const user = await newUser(db.prisma);
    await makeStaff(db.prisma, user.id, ['admin']);
    return identities.staff(user.id, [...Object.keys(STAFF_PERMISSIONS)]);
  };
  const actions = async (actorId: string) =>
    (await db.prisma.auditRecord.findMany({ where: { actorId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] })).map((r) => [
      r.action,
      r.targetId,
      r.reason,
    ]);

  it('should make the first admin from the command line once, and never again', async () => {
    const first = await newUser(db.prisma);
    const enrolment = await bootstrapAdmin(db.prisma, first.login.toUpperCase());
    expect(enrolment).toMatchObject({ user: { id: first.id }, roles: ['admin'], totpUri: expect.stringMatching(/^otpauth:\/\/totp\//) });
    expect(totpStep(enrolment.totpSecret, '000000')).toBeNull();
    expect(await actions(first.id)).toEqual([['staff.bootstrapped', first.id, 'first admin']]);
    await expect(bootstrapAdmin(db.prisma, (await newUser(db.prisma)).login)).rejects.toMatchObject({ code: 'STAFF_EXISTS' });
  });

  it('should let only staff holding the permission, with a fresh second factor, act', async () => {
    const user = await newUser(db.prisma);
    expect(() => service.listPermissions(identities.session(user.id))).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', message: 'staff only' }),
    );
    expect(() => service.listPermissions(identities.staff(user.id, ['roles:read'], MFA_MAX_AGE + 5))).toThrow(
      expect.objectContaining({ code: 'STAFF_MFA_REQUIRED' }),
    );
    await expect(
      service.createRole(identities.staff(user.id, ['roles:read']), { name: 'helpers', permissions: ['users:read'] }, null),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'this needs the roles:manage permission',
    });
    expect(service.listPermissions(identities.staff(user.id, ['roles:read']))).toEqual(
      Object.entries(STAFF_PERMISSIONS).map(([name, description]) => ({ name, description })),
    );
    expect((await service.listRoles(identities.staff(user.id, ['roles:read']))).map((r) => r.name)).toEqual(
      expect.arrayContaining(['admin', 'finance', 'support', 'trust-safety']),
    );
  });

  it('should create, change and delete custom roles, refusing built-in ones and roles in use', async () => {
    const staff = await admin();
    await expect(
      service.createRole(staff, { name: 'X', description: 'd'.repeat(201), permissions: ['users:fly'] }, null),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [
        { field: 'name', message: expect.any(String) },
        { field: 'description', message: 'must be at most 200 characters' },
        { field: 'permissions', message: 'unknown: users:fly' },
      ],
    });
    await expect(service.createRole(staff, { name: 'empty-role', permissions: [] }, null)).rejects.toMatchObject({
      fields: [{ field: 'permissions', message: 'must name at least one permission' }],
    });

    const created = await service.createRole(
      staff,
      { name: 'helpers', permissions: ['users:read', 'audit:read', 'users:read'] },
      ' for the help desk ',
    );
    expect(created).toMatchObject({ name: 'helpers', description: '', permissions: ['audit:read', 'users:read'], builtIn: false });
    await expect(service.createRole(staff, { name: 'helpers', permissions: ['users:read'] }, null)).rejects.toMatchObject({
      code: 'STAFF_ROLE_EXISTS',
    });
    expect(await service.updateRole(staff, 'helpers', { description: 'Help desk' }, null)).toMatchObject({
      description: 'Help desk',
      permissions: ['audit:read', 'users:read'],
    });
    await expect(service.updateRole(staff, 'admin', { permissions: ['users:read'] }, null)).rejects.toMatchObject({
      code: 'STAFF_ROLE_BUILT_IN',
    });
    await expect(service.deleteRole(staff, 'support', null)).rejects.toMatchObject({ code: 'STAFF_ROLE_BUILT_IN' });
    await expect(service.deleteRole(staff, 'nobody-has-it', null)).rejects.toMatchObject({ code: 'STAFF_ROLE_NOT_FOUND' });

    const holder = await newUser(db.prisma);
    await service.addStaff(staff, holder.id, ['helpers'], null);
    await expect(service.deleteRole(staff, 'helpers', null)).rejects.toMatchObject({ code: 'STAFF_ROLE_IN_USE' });
    await service.revokeRole(staff, holder.id, 'helpers', null);
    expect(await service.deleteRole(staff, 'helpers', 'unused')).toMatchObject({ name: 'helpers' });
    expect(await db.prisma.staffRole.findUnique({ where: { name: 'helpers' } })).toBeNull();

    expect(await actions(staff.userId)).toEqual([
      ['role.created', 'helpers', 'for the help desk'],
      ['role.updated', 'helpers', null],
      ['staff.added', holder.id, null],
      ['staff.role_revoked', holder.id, null],
      ['role.deleted', 'helpers', 'unused'],
    ]);
  });

  it('should add staff with a TOTP secret shown once, and grant and revoke their roles', async () => {
    const staff = await admin();
    const user = await newUser(db.prisma);
    await expect(service.addStaff(staff, randomUUID(), ['support'], null)).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    await expect(service.addStaff(staff, user.id, [], null)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'roles', message: 'is empty' }],
    });
    await expect(service.addStaff(staff, user.id, ['support', 'wizards'], null)).rejects.toMatchObject({
      code: 'STAFF_ROLE_NOT_FOUND',
      fields: [{ field: 'roles', message: 'unknown: wizards' }],
    });

    const added = await service.addStaff(staff, user.id, ['support', 'support'], 'new hire');
    expect(added).toMatchObject({ user: { id: user.id }, roles: ['support'], totpSecret: expect.any(String) });
    expect((await db.prisma.staffMember.findUniqueOrThrow({ where: { userId: user.id } })).totpSecret).toBe(added.totpSecret);
    await expect(service.addStaff(staff, user.id, ['support'], null)).rejects.toMatchObject({ code: 'STAFF_EXISTS' });

    expect(await service.grantRole(staff, user.id, 'finance', null)).toMatchObject({
      roles: ['finance', 'support'],
      permissions: ['payments:read', 'users:read'],
    });
    expect(await service.grantRole(staff, user.id, 'finance', null)).toMatchObject({ roles: ['finance', 'support'] });
    expect((await db.prisma.staffGrant.findFirstOrThrow({ where: { userId: user.id, roleName: 'finance' } })).grantedBy).toBe(staff.userId);
    expect(await service.revokeRole(staff, user.id, 'support', null)).toMatchObject({
      roles: ['finance'],
      permissions: ['payments:read', 'users:read'],
    });
    await expect(service.grantRole(staff, (await newUser(db.prisma)).id, 'finance', null)).rejects.toMatchObject({
      code: 'STAFF_NOT_FOUND',
    });
    await expect(service.revokeRole(staff, 'not-a-uuid', 'finance', null)).rejects.toMatchObject({ code: 'STAFF_NOT_FOUND' });
  });

  describe('no escalation', () => {
    /** A member who may manage staff and roles but holds nothing else. */
    const manager = async () => {
      const user = await newUser(db.prisma);
      await makeStaff(db.prisma, user.id, ['support']);
      return identities.staff(user.id, ['staff:manage', 'roles:manage', 'roles:read']);
    };

    it('should refuse a staff member granting a role to themselves, whatever they hold', async () => {
      const boss = await admin();
      await expect(service.grantRole(boss, boss.userId, 'finance', null)).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: 'staff cannot grant themselves a role',
      });
      expect((await db.prisma.staffGrant.findMany({ where: { userId: boss.userId } })).map((g) => g.roleName)).toEqual(['admin']);
    });

    it('should refuse granting or adding staff with a role holding permissions the actor lacks', async () => {
      const actor = await manager();
      const member = await newUser(db.prisma);
      await makeStaff(db.prisma, member.id, ['support']);
      await expect(service.grantRole(actor, member.id, 'admin', null)).rejects.toMatchObject({
        code: 'FORBIDDEN',
        fields: [{ field: 'permissions', message: expect.stringContaining('graph:explore') }],
      });
      const newcomer = await newUser(db.prisma);
      await expect(service.addStaff(actor, newcomer.id, ['admin'], null)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await db.prisma.staffMember.findUnique({ where: { userId: newcomer.id } })).toBeNull();
      expect((await db.prisma.staffGrant.findMany({ where: { userId: member.id } })).map((g) => g.roleName)).toEqual(['support']);
    });

    it('should refuse creating, changing or deleting a role holding permissions the actor lacks', async () => {
      const actor = await manager();
      const name = `esc-${randomUUID().slice(0, 8)}`;
      await expect(service.createRole(actor, { name, permissions: ['users:suspend'] }, null)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await db.prisma.staffRole.findUnique({ where: { name } })).toBeNull();

      const boss = await admin();
      await service.createRole(boss, { name, permissions: ['users:suspend'] }, null);
      await expect(service.updateRole(actor, name, { description: 'mine now' }, null)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(service.deleteRole(actor, name, null)).rejects.toMatchObject({ code: 'FORBIDDEN' });

      const own = `own-${randomUUID().slice(0, 8)}`;
      await expect(service.createRole(actor, { name: own, permissions: ['roles:read'] }, null)).resolves.toMatchObject({ name: own });
      await expect(service.updateRole(actor, own, { permissions: ['roles:read', 'users:suspend'] }, null)).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    });
  });
});
