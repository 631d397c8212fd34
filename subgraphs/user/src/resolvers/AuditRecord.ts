import type { AuditRecordResolvers } from './types.generated';

export const AuditRecord: AuditRecordResolvers = {
  actor: async (record, _, ctx) => {
    const actor = await ctx.users.load(record.actorId);
    // Accounts are never deleted; a missing actor fails the non-null field, with the ids in the log.
    if (!actor) throw new Error(`audit record ${record.id}: actor ${record.actorId} not found`);
    return actor;
  },
  details: (record) => JSON.stringify(record.details),
};
