/**
 * The closed list of staff permissions, which the subgraphs and the router check (`kernel/access.ts`). Roles are
 * named sets of these; the built-in roles are seeded by the migration that created the staff tables, custom roles
 * are made by staff holding `roles:manage` (the Admin API names permissions as strings, checked against this list).
 */
export const STAFF_PERMISSIONS = {
  'users:read': 'Search accounts and read their private fields',
  'users:suspend': 'Suspend and reinstate accounts',
  'roles:read': 'List roles and permissions',
  'roles:manage': 'Create, change and delete custom roles',
  'staff:manage': 'Add staff members and grant or revoke their roles',
  'audit:read': 'Read the audit log',
  'chat:moderate': 'Moderate any chat room',
  'payments:read': 'Read payments and payouts',
  'fraud:read': 'List buyers flagged for payment fraud signals (disputes, fraud warnings, refunds)',
  'categories:manage': 'Create and change the category catalogue',
  'settings:manage': "Read and change the platform's defaults (new chat rooms' modes, the global blocked terms)",
  'cases:manage': 'Work the trust and safety queue of account analysis: list, assign and resolve cases',
  'graph:explore': 'Run queries of their own on the router (the explorer), introspection included',
} as const;

export type StaffPermission = keyof typeof STAFF_PERMISSIONS;

export const isStaffPermission = (name: string): name is StaffPermission => Object.hasOwn(STAFF_PERMISSIONS, name);
