import { randomUUID } from 'node:crypto';
import type { StaffIdentity } from '../../../../kernel/identity';
import { recordEvent } from '../data/db';
import type { Prisma } from '../data/prisma/client';

/** Who did it: the staff member and the request they did it in. */
export type Actor = Pick<StaffIdentity, 'userId' | 'requestId'>;

/**
 * Records a staff action of this domain in the transaction of the action: in the domain's own append-only log, and
 * as ptfm.audit.recorded.v1, which the user domain appends to the staff audit log (`GET /admin/v1/audit-log`) under
 * the same id, so the action is in both logs or in neither.
 */
export async function recordAudit(
  tx: Prisma.TransactionClient,
  actor: Actor,
  action: string,
  target: { type: string; id: string },
  reason: string | null,
  details: object,
) {
  const record = await tx.auditRecord.create({
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
  await recordEvent(tx, 'ptfm.audit.recorded.v1', record.id, {
    recordId: record.id,
    at: record.at.toISOString(),
    actorId: record.actorId,
    action: record.action,
    targetType: record.targetType,
    targetId: record.targetId,
    reason: record.reason,
    requestId: record.requestId,
    details: details as Record<string, unknown>,
  });
}
