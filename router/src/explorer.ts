import { getOperationAST, parse } from 'graphql';
import { hasPermission } from '../../kernel/access';
import type { Identity } from '../../kernel/identity';
import type { StaffPermission } from '../../kernel/staff-permissions';
import type { GraphQLRequestBody } from '../../kernel/router-port';
import { NOT_PERSISTED, type Refusal } from './persisted';

/** The staff permission that opens the explorer (DESIGN §3: only authenticated admins run their own documents). */
export const EXPLORE_PERMISSION: StaffPermission = 'graph:explore';

/** A document of the caller's own rather than the id of a persisted operation. */
export const isAdHoc = (body: GraphQLRequestBody): boolean =>
  body.extensions?.persistedQuery === undefined && typeof body.query === 'string';

export const objectOrEmpty = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/**
 * Why an ad-hoc document may not run, or undefined when it may: the caller is staff with the permission and a
 * fresh second factor, and the document is a query (the explorer reads; changes go through audited operations).
 * Callers who are not staff get the persisted-only answer, so the explorer does not announce itself.
 */
export function explorerRefusal(
  caller: Identity,
  body: GraphQLRequestBody,
  mfaMaxAgeSeconds: number,
): (Refusal | { status: number; code: 'FORBIDDEN' | 'STAFF_MFA_REQUIRED'; message: string }) | undefined {
  if (caller.kind !== 'staff') {
    return NOT_PERSISTED;
  }
  if (!caller.permissions.includes(EXPLORE_PERMISSION))
    return { status: 403, code: 'FORBIDDEN', message: `the explorer needs the ${EXPLORE_PERMISSION} permission` };
  if (!hasPermission(caller, EXPLORE_PERMISSION, mfaMaxAgeSeconds)) {
    return { status: 401, code: 'STAFF_MFA_REQUIRED', message: 'confirm your second factor again before using the explorer' };
  }
  let operation: ReturnType<typeof getOperationAST>;
  try {
    operation = getOperationAST(parse(body.query as string), typeof body.operationName === 'string' ? body.operationName : undefined);
  } catch {
    // A syntax error is Apollo's to report, with its location.
    return undefined;
  }
  if (operation && operation.operation !== 'query') return { status: 400, code: 'BAD_REQUEST', message: 'the explorer runs queries only' };
  return undefined;
}
