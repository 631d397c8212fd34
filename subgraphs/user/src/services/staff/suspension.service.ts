import { hasPermission, requirePermission } from '../../../../../kernel/access';
import { DomainError } from '../../../../../kernel/errors';
import type { Identity } from '../../../../../kernel/identity';
import { isUuid } from '../../../../../kernel/ids';
import { pageSize } from '../../../../../kernel/paging';
import LIMITS from '../../../limits.json';
import { recordEvent, type User } from '../../data/db';
import type { PrismaClient } from '../../data/prisma/client';
import { deleteOAuthRecordsOfAccount } from '../../data/oauth-adapter';
import { recordAudit } from './audit-log';
import { lockUser, reasonOf } from './shared';

const { 'staff.userQuery': USER_QUERY } = LIMITS;

/** What staff do to accounts: find them, read their private fields, suspend and reinstate them. Each is audited. */
export class SuspensionService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly mfaMaxAgeSeconds: number,
  ) {}

  canReadUsers(identity: Identity): boolean {
    return hasPermission(identity, 'users:read', this.mfaMaxAgeSeconds);
  }

  async searchUsers(identity: Identity, query: string, first = 20): Promise<User[]> {
    requirePermission(identity, 'users:read', this.mfaMaxAgeSeconds);
    const text = query.trim().toLowerCase();
    if (text.length < USER_QUERY.minLength || text.length > USER_QUERY.maxLength) {
      const range = `${USER_QUERY.minLength}–${USER_QUERY.maxLength} characters`;
      throw new DomainError('VALIDATION_FAILED', `the query must be ${range}`, {
        fields: [{ field: 'query', message: `must be ${range}` }],
      });
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
    requirePermission(identity, 'users:suspend', this.mfaMaxAgeSeconds);
    const why = reasonOf(reason, true);
    if (userId === identity.userId)
      throw new DomainError('VALIDATION_FAILED', 'staff cannot suspend themselves', { fields: [{ field: 'userId', message: 'is you' }] });
    return this.prisma.$transaction(async (tx) => {
      const user = await lockUser(tx, userId);
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
    requirePermission(identity, 'users:suspend', this.mfaMaxAgeSeconds);
    const why = reasonOf(reason, true);
    return this.prisma.$transaction(async (tx) => {
      const user = await lockUser(tx, userId);
      if (!user.suspendedAt) return user;
      const updated = await tx.user.update({ where: { id: userId }, data: { suspendedAt: null } });
      await recordAudit(tx, identity, 'user.unsuspended', { type: 'user', id: userId }, why);
      await recordEvent(tx, 'user.account.unsuspended.v1', userId, { userId, unsuspendedAt: new Date().toISOString() });
      return updated;
    });
  }
}
