import type { CaseStatusResolvers } from './types.generated';

/** The queue stores a case's status in lower case; without this map GraphQL could neither read nor filter it. */
export const CaseStatus: CaseStatusResolvers = { OPEN: 'open', ASSIGNED: 'assigned', RESOLVED: 'resolved' };
