import type { StaffPermission } from './staff-permissions';

/**
 * Staff reads of the Admin API served by domains other than the user domain, which keeps the audit log: the router
 * records each in the log before it runs (as it does the explorer's queries), since a read in another domain has
 * no transaction of the log's to be written in. Keyed by persisted operation name; the permission is the read's
 * own, checked again by the domain serving it.
 */
export const AUDITED_STAFF_READS: Record<string, { action: string; permission: StaffPermission }> = {
  ListPayouts: { action: 'payments.payouts_listed', permission: 'payments:read' },
  ListPaymentFlags: { action: 'payments.flags_listed', permission: 'fraud:read' },
};
