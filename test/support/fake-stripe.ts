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

export interface CreatedTransfer {
  id: string;
  idempotencyKey: string | undefined;
  params: URLSearchParams;
}

/**
 * Stripe's API as far as the payment domain calls it: Checkout Sessions and Connect transfers made once per
 * Idempotency-Key, as Stripe does (a retry with the same key gets the first answer), every call and every key
 * counted. `holdTransfers` makes a transfer and then keeps its answer back, as a worker killed before it read the
 * answer would have seen it; destinations named in `refusedDestinations` are refused as Stripe refuses an account
 * that cannot receive transfers.
 */
export async function startFakeStripe() {
  const created: CreatedSession[] = [];
  const transfers: CreatedTransfer[] = [];
  const transferCalls = new Map<string, number>();
  const refusedDestinations = new Set<string>();
  const control = { holdTransfers: false };
  const byKey = new Map<string, object>();
  let requests = 0;
  const server = createServer(async (req, res) => {
    requests += 1;
    const body = await bodyOf(req);
    if (req.method === 'POST' && req.url === '/v1/transfers') {
      const key = req.headers['idempotency-key'] as string | undefined;
      if (key) transferCalls.set(key, (transferCalls.get(key) ?? 0) + 1);
      const earlier = key ? byKey.get(key) : undefined;
      if (earlier) {
        res.writeHead(200, { 'content-type': 'application/json', 'idempotent-replayed': 'true' }).end(JSON.stringify(earlier));
        return;
      }
      const params = new URLSearchParams(body);
      if (refusedDestinations.has(params.get('destination') ?? '')) {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { type: 'invalid_request_error', code: 'account_invalid', message: 'No such destination' } }));
        return;
      }
      const id = `tr_${randomBytes(12).toString('hex')}`;
      transfers.push({ id, idempotencyKey: key, params });
      const transfer = { id, object: 'transfer', amount: Number(params.get('amount')), currency: params.get('currency') };
      if (key) byKey.set(key, transfer);
      if (control.holdTransfers) return;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(transfer));
      return;
    }
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
    transfers,
    transferCalls,
    refusedDestinations,
    control,
    requests: () => requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
