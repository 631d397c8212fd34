import { randomUUID } from 'node:crypto';
import { requirePermission } from '../../../../../kernel/access';
import { DomainError } from '../../../../../kernel/errors';
import type { Identity, StaffIdentity } from '../../../../../kernel/identity';
import { isUuid } from '../../../../../kernel/ids';
import type { Prisma, PrismaClient } from '../../data/prisma/client';
import type { Tx } from './shared';

/** Who did what is recorded: the staff member and the request they did it in. */
export type Actor = Pick<StaffIdentity, 'userId' | 'requestId'>;

export interface AuditFilter {
  actorId?: string | null;
  action?: string | null;
  targetId?: string | null;
  since?: string | null;
  until?: string | null;
  first?: number | null;
  after?: string | null;
}

/**
 * Appends one audit record, inside the transaction of the action it records, so the log cannot miss an action that
 * happened nor show one that did not.
 */
export function recordAudit(tx: Tx, actor: Actor, action: string, target: { type: string; id: string }, reason: string | null, details: object = {}) {
  return tx.auditRecord.create({
    data: {
      id: randomUUID(),
      actorId: actor.userId,
      action,
      targetType: target.type,
      targetId: target.id,
      reason,
      requestId: actor.requestId,
      details: details as Prisma.InputJsonValue,
    },
  });
}

const encodeCursor = (at: Date, id: string) => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const date = new Date(at ?? '');
  if (Number.isNaN(date.getTime()) || !isUuid(id ?? '')) {
    throw new DomainError('VALIDATION_FAILED', 'the cursor is invalid', { fields: [{ field: 'after', message: 'is not a cursor of this list' }] });
  }
  return { at: date, id: id! };
}

/** Reading the audit log, which staff holding `audit:read` do. */
export class AuditLogService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly mfaMaxAgeSeconds: number,
  ) {}

  /** Newest first; filters combine. Reading the log is not itself an audited action. */
  async search(identity: Identity, filter: AuditFilter) {
    requirePermission(identity, 'audit:read', this.mfaMaxAgeSeconds);
    const take = Math.min(Math.max(filter.first ?? 50, 1), 100);
    const time = (value: string | null | undefined, field: string) => {
      if (!value) return undefined;
      const date = new Date(value);
      if (Number.isNaN(date.getTime())) throw new DomainError('VALIDATION_FAILED', `${field} must be an ISO 8601 time`, { fields: [{ field, message: 'is not a time' }] });
      return date;
    };
    const since = time(filter.since, 'since');
    const until = time(filter.until, 'until');
    const cursor = filter.after ? decodeCursor(filter.after) : undefined;
    const matching: Prisma.AuditRecordWhereInput = {
      ...(filter.actorId ? { actorId: isUuid(filter.actorId) ? filter.actorId : '00000000-0000-0000-0000-000000000000' } : {}),
      ...(filter.action ? { action: filter.action } : {}),
      ...(filter.targetId ? { targetId: filter.targetId } : {}),
      at: { ...(since ? { gte: since } : {}), ...(until ? { lt: until } : {}) },
    };
    const page: Prisma.AuditRecordWhereInput = cursor
      ? { AND: [matching, { OR: [{ at: { lt: cursor.at } }, { at: cursor.at, id: { lt: cursor.id } }] }] }
      : matching;
    const [totalCount, rows] = await Promise.all([
      this.prisma.auditRecord.count({ where: matching }),
      this.prisma.auditRecord.findMany({ where: page, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: take + 1 }),
    ]);
    const nodes = rows.slice(0, take);
    const last = nodes[nodes.length - 1];
    return {
      totalCount,
      nodes,
      pageInfo: { endCursor: last ? encodeCursor(last.at, last.id) : null, hasNextPage: rows.length > take },
    };
  }
}
