import type { NextFunction, Request, Response } from 'express';
import { sendGraphQLError } from '../../kernel/graphql-http';
import type { PersistedOperation } from '../../kernel/persisted';

interface GraphQLRequestBody {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } };
}

/**
 * The safelist: a request names a manifest operation by its sha256 id (Apollo's persisted-query extension) and the
 * router substitutes the stored text. Any document not in a manifest is refused before it reaches the planner,
 * so clients cannot run arbitrary queries against the graph.
 */
export function persistedOnly(operations: Map<string, PersistedOperation>) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST') {
      sendGraphQLError(res, 405, 'METHOD_NOT_ALLOWED', 'use POST with a persisted operation id');
      return;
    }
    const body = (req.body ?? {}) as GraphQLRequestBody;
    const hash = body.extensions?.persistedQuery?.sha256Hash;
    const operation = typeof hash === 'string' ? operations.get(hash) : undefined;
    if (!operation) {
      sendGraphQLError(
        res,
        400,
        'OPERATION_NOT_PERSISTED',
        'only persisted operations run here: send extensions.persistedQuery.sha256Hash of an operation in the manifest',
      );
      return;
    }
    if (body.query !== undefined && body.query !== operation.body) {
      sendGraphQLError(res, 400, 'OPERATION_NOT_PERSISTED', 'the query text does not match the persisted operation');
      return;
    }
    if (operation.type === 'subscription') {
      sendGraphQLError(res, 400, 'BAD_REQUEST', 'subscriptions are served over graphql-ws, not HTTP');
      return;
    }
    req.body = { query: operation.body, operationName: operation.name, variables: body.variables ?? {} };
    next();
  };
}
