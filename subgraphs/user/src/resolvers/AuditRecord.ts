import type { AuditRecord as AuditRow } from '../data/prisma/client';
import type { UserContext } from '../context';

export const AuditRecord = {
  at: (record: AuditRow) => record.at.toISOString(),
  actor: (record: AuditRow, _: unknown, ctx: UserContext) => ctx.users.load(record.actorId),
  details: (record: AuditRow) => JSON.stringify(record.details),
};
