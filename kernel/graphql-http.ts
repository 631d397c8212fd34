import type { ServerResponse } from 'node:http';
import type { ErrorCode } from './errors';

export const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/** The body of a GraphQL-over-HTTP answer that refuses a request before any execution. */
export const graphQLErrorBody = (code: ErrorCode, message: string): string =>
  JSON.stringify({ errors: [{ message, extensions: { code } }] });

export function sendGraphQLError(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  const body = graphQLErrorBody(code, message);
  res.statusCode = status;
  res.setHeader('content-type', `${GRAPHQL_RESPONSE}; charset=utf-8`);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
