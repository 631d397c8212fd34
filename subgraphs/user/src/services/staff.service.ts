import { randomUUID } from 'node:crypto';
import { hasPermission, requirePermission } from '../../../../kernel/access';
import { DomainError, type FieldProblem } from '../../../../kernel/errors';
import { isUuid } from '../../../../kernel/ids';
import { decodeCursor, pageSize, rowsAfter, toPage } from '../../../../kernel/paging';
import { type Identity, STAFF_TOKEN_TTL_SECONDS, issueStaffToken } from '../../../../kernel/identity';
import LIMITS from '../../limits.json';
import { Prisma, type PrismaClient } from '../data/prisma/client';
import { recordEvent, type User } from '../data/db';
import { deleteOAuthRecordsOfAccount } from '../data/oauth-adapter';
import type { AccountsService } from './accounts.service';
import { STAFF_PERMISSIONS, type StaffPermission, isStaffPermission } from './staff-permissions';
import { newTotpEnrolment, totpStep } from './totp';

type Tx = Prisma.TransactionClient;

export interface StaffSession {
  accessToken: string;
  tokenType: 'bearer';
  expiresIn: number;
  /** Seconds until staff actions need the second factor confirmed again. */
  mfaExpiresIn: number;
  permissions: string[];
  staff: User;
}

export interface StaffRoleInput {
  name?: string;
  description?: string | null;
  permissions?: string[] | null;
}

export interface AuditFilter {
  actorId?: string | null;
  action?: string | null;
  targetId?: string | null;
  since?: string | null;
  until?: string | null;
  first?: number | null;
  after?: string | null;
}

const ROLE_NAME = new RegExp(LIMITS['staffRole.name'].pattern);
const { 'staff.reason': REASON, 'staff.userQuery': USER_QUERY, 'staffRole.description': ROLE_DESCRIPTION } = LIMITS;

function reasonOf(reason: string | null | undefined, required: boolean): string | null {
  const text = (reason ?? '').trim();
  if (required && !text) throw new DomainError('VALIDATION_FAILED', 'a reason is required', [{ field: 'reason', message: 'is required' }]);
  if (text.length > REASON.maxLength) {
    throw new DomainError('VALIDATION_FAILED', 'the reason is too long', [{ field: 'reason', message: `must be at most ${REASON.maxLength} characters` }]);
  }
  return text || null;
}

/** Appends one audit record, inside the transaction of the action it records. */
function recordAudit(tx: Tx, identity: Identity, action: string, target: { type: string; id: string }, reason: string | null, details: object = {}) {
  return tx.auditRecord.create({
    data: {
      id: randomUUID(),
      actorId: identity.userId!,
      action,
      targetType: target.type,
      targetId: target.id,
      reason,
      requestId: identity.requestId,
      details: details as Prisma.InputJsonValue,
    },
  });
}

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
    const self: Identity = { kind: 'staff', userId: user.id, scopes: [], permissions: [], requestId: 'staff-bootstrap' };
    await recordAudit(tx, self, 'staff.bootstrapped', { type: 'user', id: user.id }, 'first admin');
    return { user, roles: ['admin'], totpSecret: enrolment.secret, totpUri: enrolment.uri };
  });
}

/**
 * Staff, their roles, what they do to accounts, and the audit log. Every staff action writes its audit record in
 * the transaction that makes the change, so the log cannot miss an action that happened nor show one that did not.
 */
export class StaffService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly accounts: AccountsService,
    private readonly secret: string,
    /** How long a TOTP confirmation lets staff act before they must confirm again. */
    private readonly mfaMaxAgeSeconds: number,
  ) {}

  private require(identity: Identity, permission: StaffPermission): string {
    requirePermission(identity, permission, this.mfaMaxAgeSeconds);
    return identity.userId!;
  }

  /** Password and a TOTP code together; failures look the same whichever factor was wrong. */
  async logIn(login: string, password: string, code: string, identity: Identity): Promise<StaffSession> {
    const refused = () => new DomainError('USER_INVALID_CREDENTIALS', 'wrong login, password or code');
    const user = await this.accounts.verifyCredentials(login, password, identity.ip);
    const staff = await this.prisma.staffMember.findUnique({ where: { userId: user.id } });
    if (!staff || !(await this.spendTotp(staff.userId, staff.totpSecret, code))) throw refused();
    return this.openSession(user, { ...identity, kind: 'staff', userId: user.id }, 'staff.logged_in');
  }

  /** Step-up: a fresh second factor for a staff member already logged in. */
  async confirmMfa(code: string, identity: Identity): Promise<StaffSession> {
    if (identity.kind !== 'staff' || !identity.userId) throw new DomainError('FORBIDDEN', 'staff only');
    const staff = await this.prisma.staffMember.findUnique({ where: { userId: identity.userId }, include: { user: true } });
    if (!staff || staff.user.suspendedAt) throw new DomainError('FORBIDDEN', 'staff only');
    if (!(await this.spendTotp(staff.userId, staff.totpSecret, code))) throw new DomainError('USER_INVALID_CREDENTIALS', 'wrong code');
    return this.openSession(staff.user, identity, 'staff.mfa_confirmed');
  }

  private async spendTotp(userId: string, secret: string, code: string): Promise<boolean> {
    const step = totpStep(secret, code);
    if (step === null) return false;
    const spent = await this.prisma.staffMember.updateMany({
      where: { userId, OR: [{ lastTotpStep: null }, { lastTotpStep: { lt: step } }] },
      data: { lastTotpStep: step },
    });
    return spent.count === 1;
  }

  private async openSession(user: User, identity: Identity, action: string): Promise<StaffSession> {
    const permissions = await this.permissionsOf(user.id);
    const mfaAt = Math.floor(Date.now() / 1000);
    await this.prisma.$transaction((tx) => recordAudit(tx, identity, action, { type: 'staff', id: user.id }, null));
    return {
      accessToken: await issueStaffToken(this.secret, { userId: user.id, permissions, mfaAt }),
      tokenType: 'bearer',
      expiresIn: STAFF_TOKEN_TTL_SECONDS,
      mfaExpiresIn: this.mfaMaxAgeSeconds,
      permissions,
      staff: user,
    };
  }

  canReadUsers(identity: Identity): boolean {
    return hasPermission(identity, 'users:read', this.mfaMaxAgeSeconds);
  }

  async permissionsOf(userId: string): Promise<string[]> {
    const grants = await this.prisma.staffGrant.findMany({ where: { userId }, include: { role: true } });
    return [...new Set(grants.flatMap((g) => g.role.permissions))].sort();
  }

  async searchUsers(identity: Identity, query: string, first = 20): Promise<User[]> {
    this.require(identity, 'users:read');
    const text = query.trim().toLowerCase();
    if (text.length < USER_QUERY.minLength || text.length > USER_QUERY.maxLength) {
      const range = `${USER_QUERY.minLength}–${USER_QUERY.maxLength} characters`;
      throw new DomainError('VALIDATION_FAILED', `the query must be ${range}`, [{ field: 'query', message: `must be ${range}` }]);
    }
    const take = pageSize(first, 20);
    return this.prisma.$transaction(async (tx) => {
      await recordAudit(tx, identity, 'users.searched', { type: 'query', id: text }, null);
      return tx.user.findMany({
        where: isUuid(text) ? { id: text } : { OR: [{ login: { startsWith: text } }, { email: { startsWith: text } }] },
        orderBy: { login: 'asc' },
        take,
      });
    });
  }

  /**
   * The account can no longer log in, its refresh tokens and OAuth grants are revoked, and the event tells the
   * router to refuse every signed token issued before now (within a second, wherever it runs).
   */
  async suspend(identity: Identity, userId: string, reason: string | null): Promise<User> {
    const actor = this.require(identity, 'users:suspend');
    const why = reasonOf(reason, true);
    if (userId === actor) throw new DomainError('VALIDATION_FAILED', 'staff cannot suspend themselves', [{ field: 'userId', message: 'is you' }]);
    return this.prisma.$transaction(async (tx) => {
      const user = await this.lockUser(tx, userId);
      if (user.suspendedAt) return user;
      const suspendedAt = new Date();
      const updated = await tx.user.update({ where: { id: userId }, data: { suspendedAt } });
      await tx.refreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: suspendedAt } });
      // Every grant, code and token the user gave apps: introspection stops vouching for them within its cache time.
      await deleteOAuthRecordsOfAccount(tx, userId);
      await recordAudit(tx, identity, 'user.suspended', { type: 'user', id: userId }, why);
      await recordEvent(tx, 'user.account.suspended.v1', userId, { userId, suspendedAt: suspendedAt.toISOString() });
      return updated;
    });
  }

  async unsuspend(identity: Identity, userId: string, reason: string | null): Promise<User> {
    this.require(identity, 'users:suspend');
    const why = reasonOf(reason, true);
    return this.prisma.$transaction(async (tx) => {
      const user = await this.lockUser(tx, userId);
      if (!user.suspendedAt) return user;
      const updated = await tx.user.update({ where: { id: userId }, data: { suspendedAt: null } });
      await recordAudit(tx, identity, 'user.unsuspended', { type: 'user', id: userId }, why);
      await recordEvent(tx, 'user.account.unsuspended.v1', userId, { userId, unsuspendedAt: new Date().toISOString() });
      return updated;
    });
  }

  private async lockUser(tx: Tx, userId: string): Promise<User> {
    const missing = () => new DomainError('USER_NOT_FOUND', 'no such user');
    if (!isUuid(userId)) throw missing();
    await tx.$queryRaw`SELECT 1 FROM "user"."account" WHERE id = ${userId}::uuid FOR UPDATE`;
    const user = await tx.user.findUnique({ where: { id: userId } });
    if (!user) throw missing();
    return user;
  }

  listPermissions(identity: Identity) {
    this.require(identity, 'roles:read');
    return Object.entries(STAFF_PERMISSIONS).map(([name, description]) => ({ name, description }));
  }

  listRoles(identity: Identity) {
    this.require(identity, 'roles:read');
    return this.prisma.staffRole.findMany({ orderBy: { name: 'asc' } });
  }

  async createRole(identity: Identity, input: StaffRoleInput, reason: string | null) {
    this.require(identity, 'roles:manage');
    const why = reasonOf(reason, false);
    const role = this.validRole(input, true);
    try {
      return await this.prisma.$transaction(async (tx) => {
        const created = await tx.staffRole.create({ data: { name: role.name!, description: role.description ?? '', permissions: role.permissions ?? [] } });
        await recordAudit(tx, identity, 'role.created', { type: 'role', id: created.name }, why, { permissions: created.permissions });
        return created;
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new DomainError('STAFF_ROLE_EXISTS', 'a role of that name exists', [{ field: 'name', message: 'is taken' }]);
      }
      throw error;
    }
  }

  async updateRole(identity: Identity, name: string, input: StaffRoleInput, reason: string | null) {
    this.require(identity, 'roles:manage');
    const why = reasonOf(reason, false);
    const change = this.validRole(input, false);
    return this.prisma.$transaction(async (tx) => {
      await this.customRole(tx, name);
      const updated = await tx.staffRole.update({
        where: { name },
        data: { ...(change.description != null ? { description: change.description } : {}), ...(change.permissions ? { permissions: change.permissions } : {}) },
      });
      await recordAudit(tx, identity, 'role.updated', { type: 'role', id: name }, why, { permissions: updated.permissions });
      return updated;
    });
  }

  async deleteRole(identity: Identity, name: string, reason: string | null) {
    this.require(identity, 'roles:manage');
    const why = reasonOf(reason, false);
    return this.prisma.$transaction(async (tx) => {
      const role = await this.customRole(tx, name);
      if (await tx.staffGrant.count({ where: { roleName: name } })) {
        throw new DomainError('STAFF_ROLE_IN_USE', 'revoke the role from its staff before deleting it');
      }
      await tx.staffRole.delete({ where: { name } });
      await recordAudit(tx, identity, 'role.deleted', { type: 'role', id: name }, why);
      return role;
    });
  }

  private async customRole(tx: Tx, name: string) {
    const role = await tx.staffRole.findUnique({ where: { name } });
    if (!role) throw new DomainError('STAFF_ROLE_NOT_FOUND', 'no such role');
    if (role.builtIn) throw new DomainError('STAFF_ROLE_BUILT_IN', 'built-in roles cannot be changed or deleted');
    return role;
  }

  private validRole(input: StaffRoleInput, creating: boolean): StaffRoleInput {
    const problems: FieldProblem[] = [];
    if (creating && !ROLE_NAME.test(input.name ?? '')) problems.push({ field: 'name', message: 'must be 3–40 characters of a-z, 0-9 and -, starting with a letter' });
    if ((input.description ?? '').length > ROLE_DESCRIPTION.maxLength) {
      problems.push({ field: 'description', message: `must be at most ${ROLE_DESCRIPTION.maxLength} characters` });
    }
    const unknown = (input.permissions ?? []).filter((p) => !isStaffPermission(p));
    if (unknown.length) problems.push({ field: 'permissions', message: `unknown: ${unknown.join(', ')}` });
    if (creating && !(input.permissions ?? []).length) problems.push({ field: 'permissions', message: 'must name at least one permission' });
    if (problems.length) throw new DomainError('VALIDATION_FAILED', 'the role is invalid', problems);
    return { ...input, permissions: input.permissions ? [...new Set(input.permissions)].sort() : input.permissions };
  }

  /** Makes a user staff with `roles`; the TOTP secret is in the answer once and never again. */
  async addStaff(identity: Identity, userId: string, roles: string[], reason: string | null) {
    this.require(identity, 'staff:manage');
    const why = reasonOf(reason, false);
    return this.prisma.$transaction(async (tx) => {
      const user = await this.lockUser(tx, userId);
      if (await tx.staffMember.findUnique({ where: { userId } })) throw new DomainError('STAFF_EXISTS', 'this user is staff already');
      await this.knownRoles(tx, roles);
      const enrolment = newTotpEnrolment(user.login);
      await tx.staffMember.create({ data: { userId, totpSecret: enrolment.secret } });
      for (const role of new Set(roles)) await tx.staffGrant.create({ data: { userId, roleName: role, grantedBy: identity.userId } });
      await recordAudit(tx, identity, 'staff.added', { type: 'user', id: userId }, why, { roles });
      return { user, roles: [...new Set(roles)].sort(), totpSecret: enrolment.secret, totpUri: enrolment.uri };
    });
  }

  async grantRole(identity: Identity, userId: string, role: string, reason: string | null) {
    this.require(identity, 'staff:manage');
    const why = reasonOf(reason, false);
    return this.prisma.$transaction(async (tx) => {
      await this.staffMember(tx, userId);
      await this.knownRoles(tx, [role]);
      await tx.staffGrant.upsert({ where: { userId_roleName: { userId, roleName: role } }, create: { userId, roleName: role, grantedBy: identity.userId }, update: {} });
      await recordAudit(tx, identity, 'staff.role_granted', { type: 'user', id: userId }, why, { role });
      return this.staffView(tx, userId);
    });
  }

  async revokeRole(identity: Identity, userId: string, role: string, reason: string | null) {
    this.require(identity, 'staff:manage');
    const why = reasonOf(reason, false);
    return this.prisma.$transaction(async (tx) => {
      await this.staffMember(tx, userId);
      await tx.staffGrant.deleteMany({ where: { userId, roleName: role } });
      await recordAudit(tx, identity, 'staff.role_revoked', { type: 'user', id: userId }, why, { role });
      return this.staffView(tx, userId);
    });
  }

  private async staffMember(tx: Tx, userId: string) {
    const staff = isUuid(userId) ? await tx.staffMember.findUnique({ where: { userId } }) : null;
    if (!staff) throw new DomainError('STAFF_NOT_FOUND', 'this user is not staff');
    return staff;
  }

  private async staffView(tx: Tx, userId: string) {
    const staff = await tx.staffMember.findUniqueOrThrow({ where: { userId }, include: { user: true, roles: { include: { role: true } } } });
    const roles = staff.roles.map((g) => g.roleName).sort();
    return { user: staff.user, roles, permissions: [...new Set(staff.roles.flatMap((g) => g.role.permissions))].sort() };
  }

  private async knownRoles(tx: Tx, roles: string[]) {
    if (!roles.length) throw new DomainError('VALIDATION_FAILED', 'name at least one role', [{ field: 'roles', message: 'is empty' }]);
    const found = await tx.staffRole.findMany({ where: { name: { in: roles } } });
    const missing = roles.filter((r) => !found.some((f) => f.name === r));
    if (missing.length) throw new DomainError('STAFF_ROLE_NOT_FOUND', `no such role: ${missing.join(', ')}`, [{ field: 'roles', message: `unknown: ${missing.join(', ')}` }]);
  }

  /** Newest first; filters combine. Reading the log is not itself an audited action. */
  async auditLog(identity: Identity, filter: AuditFilter) {
    this.require(identity, 'audit:read');
    const take = pageSize(filter.first, 50);
    const time = (value: string | null | undefined, field: string) => {
      if (!value) return undefined;
      const date = new Date(value);
      if (Number.isNaN(date.getTime())) throw new DomainError('VALIDATION_FAILED', `${field} must be an ISO 8601 time`, [{ field, message: 'is not a time' }]);
      return date;
    };
    const since = time(filter.since, 'since');
    const until = time(filter.until, 'until');
    const cursor = decodeCursor(filter.after, 'after');
    const matching: Prisma.AuditRecordWhereInput = {
      ...(filter.actorId ? { actorId: isUuid(filter.actorId) ? filter.actorId : '00000000-0000-0000-0000-000000000000' } : {}),
      ...(filter.action ? { action: filter.action } : {}),
      ...(filter.targetId ? { targetId: filter.targetId } : {}),
      at: { ...(since ? { gte: since } : {}), ...(until ? { lt: until } : {}) },
    };
    const page: Prisma.AuditRecordWhereInput = cursor ? { AND: [matching, rowsAfter(cursor, 'at', 'id', 'desc')] } : matching;
    const [totalCount, rows] = await Promise.all([
      this.prisma.auditRecord.count({ where: matching }),
      this.prisma.auditRecord.findMany({ where: page, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: take + 1 }),
    ]);
    return toPage(rows, take, totalCount, (r) => ({ at: r.at, id: r.id }));
  }
}
