import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CreatedSession {
  id: string;
  idempotencyKey: string | undefined;
  authorization: string | undefined;
  /** The form fields Stripe's client sent, e.g. `metadata[userId]`. */
  params: URLSearchParams;
}

const bodyOf = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => resolve(body));
  });

/**
 * Stripe's API as far as the payment domain calls it: Checkout Sessions made once per Idempotency-Key, as Stripe
 * does (a retry with the same key gets the first answer), every call counted.
 */
export async function startFakeStripe() {
  const created: CreatedSession[] = [];
  const byKey = new Map<string, object>();
  let requests = 0;
  const server = createServer(async (req, res) => {
    requests += 1;
    const body = await bodyOf(req);
    if (req.method !== 'POST' || req.url !== '/v1/checkout/sessions') {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'no such route' } }));
      return;
    }
    const key = req.headers['idempotency-key'] as string | undefined;
    const earlier = key ? byKey.get(key) : undefined;
    if (earlier) {
      res.writeHead(200, { 'content-type': 'application/json', 'idempotent-replayed': 'true' }).end(JSON.stringify(earlier));
      return;
    }
    const id = `cs_test_${randomBytes(12).toString('hex')}`;
    const params = new URLSearchParams(body);
    created.push({ id, idempotencyKey: key, authorization: req.headers.authorization, params });
    const session = { id, object: 'checkout.session', mode: params.get('mode'), url: `https://checkout.stripe.test/c/pay/${id}` };
    if (key) byKey.set(key, session);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    created,
    requests: () => requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
