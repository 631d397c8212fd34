import type { PersistedOperation } from '../../kernel/persisted';

import type { GraphQLRequestBody } from '../../kernel/router-port';

export type Refusal = { status: number; code: 'OPERATION_NOT_PERSISTED' | 'BAD_REQUEST'; message: string };

/** The answer to a document that is not a persisted operation (the explorer's refusal to non-staff too). */
export const NOT_PERSISTED: Refusal = {
  status: 400,
  code: 'OPERATION_NOT_PERSISTED',
  message: 'only persisted operations run here: send extensions.persistedQuery.sha256Hash of an operation in the manifest',
};

/**
 * The safelist: a request names a manifest operation by its sha256 id (Apollo's persisted-query extension) and the
 * router runs the stored text. Any document not in a manifest is refused before it reaches the planner, so
 * clients cannot run arbitrary queries against the graph.
 */
export function resolvePersisted<O extends PersistedOperation>(
  operations: Map<string, O>,
  body: GraphQLRequestBody,
): { operation: O; variables: Record<string, unknown> } | Refusal {
  const hash = body.extensions?.persistedQuery?.sha256Hash;
  const operation = typeof hash === 'string' ? operations.get(hash) : undefined;
  if (!operation) {
    return NOT_PERSISTED;
  }
  if (body.query !== undefined && body.query !== operation.body) {
    return { status: 400, code: 'OPERATION_NOT_PERSISTED', message: 'the query text does not match the persisted operation' };
  }
  if (operation.type === 'subscription') {
    return { status: 400, code: 'BAD_REQUEST', message: 'subscriptions are served over graphql-ws, not HTTP' };
  }
  const variables = body.variables;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
    return { status: 400, code: 'BAD_REQUEST', message: 'variables must be an object' };
  }
  return { operation, variables: (variables ?? {}) as Record<string, unknown> };
}
