import type { IncomingMessage, ServerResponse } from 'node:http';
import bodyParser from 'body-parser';

/** An API request's body: JSON of any `application/json` or `+json` type, gzip, deflate or br decoded. */
const json = bodyParser.json({ limit: '64kb', type: ['application/json', 'application/*+json'] });
// Providers' webhooks (a live stream's whole state) are larger than an API request.
const raw = bodyParser.raw({ limit: '256kb', type: () => true });

/**
 * The body as express.json() and express.raw() read it (they are body-parser), straight from the Node request:
 * `undefined` without a body or, for JSON, of another type; the raw bytes of any type when `rawBody`. Rejects with
 * body-parser's error (its `type` and `status`), which `problem.ts` answers.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, rawBody: boolean): Promise<unknown> {
  const parse = rawBody ? raw : json;
  return new Promise((resolve, reject) => {
    parse(req, res, (error?: unknown) => (error ? reject(error) : resolve((req as { body?: unknown }).body)));
  });
}
