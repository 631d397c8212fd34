import { requirePermission } from '../../../../../kernel/access';
import { DomainError, type FieldProblem } from '../../../../../kernel/errors';
import type { Identity, StaffIdentity } from '../../../../../kernel/identity';
import { isUuid } from '../../../../../kernel/ids';
import { STAFF_PERMISSIONS, isStaffPermission } from '../../../../../kernel/staff-permissions';
import { Prisma, type PrismaClient } from '../../data/prisma/client';
import { newTotpEnrolment } from '../totp';
import { type Actor, recordAudit } from './audit-log';
import { lockUser, reasonOf, type Tx } from './shared';
import LIMITS from '../../../limits.json';

export interface StaffRoleInput {
  name?: string;
  description?: string | null;
  permissions?: string[] | null;
}

const ROLE_NAME = new RegExp(LIMITS['staffRole.name'].pattern);
const { 'staffRole.description': ROLE_DESCRIPTION } = LIMITS;

/**
 * The first admin, from the command line of someone who runs the database (`npm run staff -- bootstrap`):
 * refused once any staff exists, after which staff are added through the Admin API. Audited as their own act.
 */
export async function bootstrapAdmin(prisma: PrismaClient, login: string) {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`LOCK TABLE "user"."staff_member" IN EXCLUSIVE MODE`;
    if (await tx.staffMember.count()) throw new DomainError('STAFF_EXISTS', 'staff exist already: add staff through the Admin API');
    const user = await tx.user.findUnique({ where: { login: login.trim().toLowerCase() } });
    if (!user) throw new DomainError('USER_NOT_FOUND', `no user ${login}`);
    const enrolment = newTotpEnrolment(user.login);
    await tx.staffMember.create({ data: { userId: user.id, totpSecret: enrolment.secret } });
    await tx.staffGrant.create({ data: { userId: user.id, roleName: 'admin' } });
    const self: Actor = { userId: user.id, requestId: 'staff-bootstrap' };
    await recordAudit(tx, self, 'staff.bootstrapped', { type: 'user', id: user.id }, 'first admin');
    return { user, roles: ['admin'], totpSecret: enrolment.secret, totpUri: enrolment.uri };
  });
}

/** Roles (named sets of permissions) and the staff who hold them: who is staff is decided here. */
export class StaffRolesService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly mfaMaxAgeSeconds: number,
  ) {}

  listPermissions(identity: Identity) {
    requirePermission(identity, 'roles:read', this.mfaMaxAgeSeconds);
    return Object.entries(STAFF_PERMISSIONS).map(([name, description]) => ({ name, description }));
  }

  listRoles(identity: Identity) {
    requirePermission(identity, 'roles:read', this.mfaMaxAgeSeconds);
    return this.prisma.staffRole.findMany({ orderBy: { name: 'asc' } });
  }

  async createRole(identity: Identity, input: StaffRoleInput, reason: string | null) {
    requirePermission(identity, 'roles:manage', this.mfaMaxAgeSeconds);
    const why = reasonOf(reason, false);
    const role = validRole(input, true);
    const name = validRoleName(input.name);
    withinOwnPermissions(identity, role.permissions ?? []);
    try {
      return await this.prisma.$transaction(async (tx) => {
        const created = await tx.staffRole.create({
          data: { name, description: role.description ?? '', permissions: role.permissions ?? [] },
        });
        await recordAudit(tx, identity, 'role.created', { type: 'role', id: created.name }, why, { permissions: created.permissions });
        return created;
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new DomainError('STAFF_ROLE_EXISTS', 'a role of that name exists', { fields: [{ field: 'name', message: 'is taken' }] });
      }
      throw error;
    }
  }

  async updateRole(identity: Identity, name: string, input: StaffRoleInput, reason: string | null) {
    requirePermission(identity, 'roles:manage', this.mfaMaxAgeSeconds);
    const why = reasonOf(reason, false);
    const change = validRole(input, false);
    return this.prisma.$transaction(async (tx) => {
      const existing = await customRole(tx, name);
      withinOwnPermissions(identity, [...existing.permissions, ...(change.permissions ?? [])]);
      const updated = await tx.staffRole.update({
        where: { name },
        data: {
          ...(change.description != null ? { description: change.description } : {}),
          ...(change.permissions ? { permissions: change.permissions } : {}),
        },
      });
      await recordAudit(tx, identity, 'role.updated', { type: 'role', id: name }, why, { permissions: updated.permissions });
      return updated;
    });
  }

  async deleteRole(identity: Identity, name: string, reason: string | null) {
    requirePermission(identity, 'roles:manage', this.mfaMaxAgeSeconds);
    const why = reasonOf(reason, false);
    return this.prisma.$transaction(async (tx) => {
      const role = await customRole(tx, name);
      withinOwnPermissions(identity, role.permissions);
      if (await tx.staffGrant.count({ where: { roleName: name } })) {
        throw new DomainError('STAFF_ROLE_IN_USE', 'revoke the role from its staff before deleting it');
      }
      await tx.staffRole.delete({ where: { name } });
      await recordAudit(tx, identity, 'role.deleted', { type: 'role', id: name }, why);
      return role;
    });
  }

  /** Makes a user staff with `roles`; the TOTP secret is in the answer once and never again. */
  async addStaff(identity: Identity, userId: string, roles: string[], reason: string | null) {
    requirePermission(identity, 'staff:manage', this.mfaMaxAgeSeconds);
    const why = reasonOf(reason, false);
    return grantingRoles(this.prisma, async (tx) => {
      const user = await lockUser(tx, userId);
      if (await tx.staffMember.findUnique({ where: { userId } })) throw new DomainError('STAFF_EXISTS', 'this user is staff already');
      withinOwnPermissions(
        identity,
        (await knownRoles(tx, roles)).flatMap((role) => role.permissions),
      );
      const enrolment = newTotpEnrolment(user.login);
      await tx.staffMember.create({ data: { userId, totpSecret: enrolment.secret } });
      for (const role of new Set(roles)) await tx.staffGrant.create({ data: { userId, roleName: role, grantedBy: identity.userId } });
      await recordAudit(tx, identity, 'staff.added', { type: 'user', id: userId }, why, { roles });
      return { user, roles: [...new Set(roles)].sort(), totpSecret: enrolment.secret, totpUri: enrolment.uri };
    });
  }

  async grantRole(identity: Identity, userId: string, role: string, reason: string | null) {
    requirePermission(identity, 'staff:manage', this.mfaMaxAgeSeconds);
    const why = reasonOf(reason, false);
    if (userId === identity.userId) throw new DomainError('FORBIDDEN', 'staff cannot grant themselves a role');
    return grantingRoles(this.prisma, async (tx) => {
      await staffMember(tx, userId);
      withinOwnPermissions(
        identity,
        (await knownRoles(tx, [role])).flatMap((known) => known.permissions),
      );
      await tx.staffGrant.upsert({
        where: { userId_roleName: { userId, roleName: role } },
        create: { userId, roleName: role, grantedBy: identity.userId },
        update: {},
      });
      await recordAudit(tx, identity, 'staff.role_granted', { type: 'user', id: userId }, why, { role });
      return staffView(tx, userId);
    });
  }

  async revokeRole(identity: Identity, userId: string, role: string, reason: string | null) {
    requirePermission(identity, 'staff:manage', this.mfaMaxAgeSeconds);
    const why = reasonOf(reason, false);
    return this.prisma.$transaction(async (tx) => {
      await staffMember(tx, userId);
      await tx.staffGrant.deleteMany({ where: { userId, roleName: role } });
      await recordAudit(tx, identity, 'staff.role_revoked', { type: 'user', id: userId }, why, { role });
      return staffView(tx, userId);
    });
  }
}

/** Staff hand out only what they hold: no role, new or changed, granted or deleted, with a permission they lack. */
function withinOwnPermissions(identity: StaffIdentity, permissions: readonly string[]): void {
  const lacking = [...new Set(permissions.filter((permission) => !identity.permissions.includes(permission)))].sort();
  if (lacking.length) {
    throw new DomainError('FORBIDDEN', `you cannot hand out permissions you do not hold: ${lacking.join(', ')}`, {
      fields: [{ field: 'permissions', message: `not yours: ${lacking.join(', ')}` }],
    });
  }
}

/**
 * A grant names its role by foreign key: a role deleted between knownRoles and the insert is the same "no such
 * role" as one that never was, not a failed transaction.
 */
async function grantingRoles<T>(prisma: PrismaClient, work: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await prisma.$transaction(work);
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003') {
      throw new DomainError('STAFF_ROLE_NOT_FOUND', 'no such role');
    }
    throw error;
  }
}

async function customRole(tx: Tx, name: string) {
  const role = await tx.staffRole.findUnique({ where: { name } });
  if (!role) throw new DomainError('STAFF_ROLE_NOT_FOUND', 'no such role');
  if (role.builtIn) throw new DomainError('STAFF_ROLE_BUILT_IN', 'built-in roles cannot be changed or deleted');
  return role;
}

const ROLE_NAME_PROBLEM = { field: 'name', message: 'must be 3–40 characters of a-z, 0-9 and -, starting with a letter' };

/** A new role's name, which validRole(…, true) has already checked. */
function validRoleName(name: string | undefined | null): string {
  if (!name || !ROLE_NAME.test(name)) throw new DomainError('VALIDATION_FAILED', 'the role is invalid', { fields: [ROLE_NAME_PROBLEM] });
  return name;
}

function validRole(input: StaffRoleInput, creating: boolean): StaffRoleInput {
  const problems: FieldProblem[] = [];
  if (creating && !ROLE_NAME.test(input.name ?? '')) problems.push(ROLE_NAME_PROBLEM);
  if ((input.description ?? '').length > ROLE_DESCRIPTION.maxLength) {
    problems.push({ field: 'description', message: `must be at most ${ROLE_DESCRIPTION.maxLength} characters` });
  }
  const unknown = (input.permissions ?? []).filter((p) => !isStaffPermission(p));
  if (unknown.length) problems.push({ field: 'permissions', message: `unknown: ${unknown.join(', ')}` });
  if (creating && !(input.permissions ?? []).length) problems.push({ field: 'permissions', message: 'must name at least one permission' });
  if (problems.length) throw new DomainError('VALIDATION_FAILED', 'the role is invalid', { fields: problems });
  return { ...input, permissions: input.permissions ? [...new Set(input.permissions)].sort() : input.permissions };
}

async function staffMember(tx: Tx, userId: string) {
  const staff = isUuid(userId) ? await tx.staffMember.findUnique({ where: { userId } }) : null;
  if (!staff) throw new DomainError('STAFF_NOT_FOUND', 'this user is not staff');
  return staff;
}

async function staffView(tx: Tx, userId: string) {
  const staff = await tx.staffMember.findUniqueOrThrow({ where: { userId }, include: { user: true, roles: { include: { role: true } } } });
  const roles = staff.roles.map((g) => g.roleName).sort();
  return { user: staff.user, roles, permissions: [...new Set(staff.roles.flatMap((g) => g.role.permissions))].sort() };
}

async function knownRoles(tx: Tx, roles: string[]) {
  if (!roles.length)
    throw new DomainError('VALIDATION_FAILED', 'name at least one role', { fields: [{ field: 'roles', message: 'is empty' }] });
  const found = await tx.staffRole.findMany({ where: { name: { in: roles } } });
  const missing = roles.filter((r) => !found.some((f) => f.name === r));
  if (missing.length) {
    throw new DomainError('STAFF_ROLE_NOT_FOUND', `no such role: ${missing.join(', ')}`, {
      fields: [{ field: 'roles', message: `unknown: ${missing.join(', ')}` }],
    });
  }
  return found;
}
