import type { AuditRecord as AuditRow } from '../data/prisma/client';

export const AuditRecord = {
  at: (record: AuditRow) => record.at.toISOString(),
  actor: (record: AuditRow) => ({ __typename: 'User', id: record.actorId }),
  details: (record: AuditRow) => JSON.stringify(record.details),
};
