import type { Response } from 'express';
import type { ErrorCode } from './errors';

/** A GraphQL-over-HTTP error answer from a layer that refuses a request before any execution. */
export function sendGraphQLError(res: Response, status: number, code: ErrorCode, message: string): void {
  res.status(status).type('application/graphql-response+json').json({ errors: [{ message, extensions: { code } }] });
}
