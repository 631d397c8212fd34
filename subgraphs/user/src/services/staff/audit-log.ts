import { createHash, randomUUID } from 'node:crypto';
import { requirePermission } from '../../../../../kernel/access';
import { AUDITED_STAFF_READS } from '../../../../../kernel/audited-reads';
import { DomainError } from '../../../../../kernel/errors';
import type { EventOf } from '../../../../../kernel/events';
import type { Identity, StaffIdentity } from '../../../../../kernel/identity';
import { isUuid } from '../../../../../kernel/ids';
import { decodeCursor, pageSize, rowsAfter, toPage } from '../../../../../kernel/paging';
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
export function recordAudit(
  tx: Tx,
  actor: Actor,
  action: string,
  target: { type: string; id: string },
  reason: string | null,
  details: object = {},
) {
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

/** The staff audit records other domains publish: each domain's `{domain}.audit.recorded.v1`. */
export const AUDIT_TOPICS = ['ptfm.audit.recorded.v1'] as const;

/**
 * Appends a record another domain wrote in the transaction of its staff action, under the record's own id: a
 * redelivered event appends nothing twice, so the consumer needs no other memory of what it handled.
 */
export async function appendDomainRecord(prisma: PrismaClient, event: EventOf<(typeof AUDIT_TOPICS)[number]>) {
  const { recordId, at, actorId, action, targetType, targetId, reason, requestId, details } = event.data;
  const appended = await prisma.auditRecord.createMany({
    data: [
      {
        id: recordId,
        at: new Date(at),
        actorId,
        action,
        targetType,
        targetId,
        reason,
        requestId,
        details: details as Prisma.InputJsonValue,
      },
    ],
    skipDuplicates: true,
  });
  return appended.count ? ('appended' as const) : ('duplicate' as const);
}

/** Reading the audit log, which staff holding `audit:read` do. */
export class AuditLogService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly mfaMaxAgeSeconds: number,
  ) {}

  /**
   * A query run in the explorer, recorded before it runs (the router refuses it when this fails): who, which
   * document (and its sha256, to find every run of it), with which variables.
   */
  async recordExplorerQuery(identity: Identity, document: string, operationName?: string | null, variables?: string | null) {
    requirePermission(identity, 'graph:explore', this.mfaMaxAgeSeconds);
    const digest = createHash('sha256').update(document).digest('hex');
    await this.prisma.$transaction((tx) =>
      recordAudit(tx, identity, 'graph.explored', { type: 'document', id: digest }, null, {
        document,
        operationName: operationName ?? null,
        variables: variables ?? null,
      }),
    );
    return true;
  }

  /**
   * A staff read another domain serves, recorded before the router runs it (it refuses to run it when this fails):
   * who, which operation, with which variables. Refused, and not recorded, without the read's own permission.
   */
  async recordStaffRead(identity: Identity, operationName: string, variables?: string | null) {
    const read = Object.hasOwn(AUDITED_STAFF_READS, operationName) ? AUDITED_STAFF_READS[operationName] : undefined;
    if (!read) {
      throw new DomainError('VALIDATION_FAILED', `${operationName.slice(0, 80)} is not an audited staff read`, {
        fields: [{ field: 'operationName', message: 'is not an audited staff read' }],
      });
    }
    requirePermission(identity, read.permission, this.mfaMaxAgeSeconds);
    await this.prisma.$transaction((tx) =>
      recordAudit(tx, identity, read.action, { type: 'operation', id: operationName }, null, { variables: variables ?? null }),
    );
    return true;
  }

  /** Newest first; filters combine. Reading the log is not itself an audited action. */
  async search(identity: Identity, filter: AuditFilter) {
    requirePermission(identity, 'audit:read', this.mfaMaxAgeSeconds);
    const take = pageSize(filter.first, 50);
    const time = (value: string | null | undefined, field: string) => {
      if (!value) return undefined;
      const date = new Date(value);
      if (Number.isNaN(date.getTime()))
        throw new DomainError('VALIDATION_FAILED', `${field} must be an ISO 8601 time`, { fields: [{ field, message: 'is not a time' }] });
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
