import type { Response } from 'express';
import type { ErrorCode } from './errors';

export const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/** The body of a GraphQL-over-HTTP answer that refuses a request before any execution. */
export const graphQLErrorBody = (code: ErrorCode, message: string): string =>
  JSON.stringify({ errors: [{ message, extensions: { code } }] });

export function sendGraphQLError(res: Response, status: number, code: ErrorCode, message: string): void {
  res.status(status).type(GRAPHQL_RESPONSE).send(graphQLErrorBody(code, message));
}
