import { get } from 'node:http';
import { gzipSync } from 'node:zlib';
import express from 'express';
import pino from 'pino';
import { listen, type Listening } from '../../kernel/http';
import { metricsRegistry } from '../../kernel/metrics';
import { createRestFacade, loadApiDocuments, type RestFacade } from './app';
import type { GraphQLCall, RouterClient } from './router-client';

/** Which server answers what: the APIs' paths on `node:http`, the rest on express, with the same answers as before. */
describe('the facade’s dispatch', () => {
  // Every request express answers goes through its app's handle, which its types leave out.
  const application = express.application as typeof express.application & { handle(...args: unknown[]): void };
  const handle = jest.spyOn(application, 'handle');
  const calls: GraphQLCall[] = [];
  const user = {
    id: '6f1c2a4e-8a41-4d6c-9a51-0b5b1f1d2c3a',
    login: 'streamer',
    displayName: 'S',
    createdAt: '2026-01-01T00:00:00.000Z',
    channel: null,
  };
  const router: RouterClient = {
    execute: async (call) => {
      calls.push(call);
      return {
        data: { user, signUp: user, receiveLiveWebhook: { id: user.id, duplicate: false } },
        headers: { ratelimit: 'limit=10, remaining=9, reset=60' },
      };
    },
    healthy: async () => true,
    close: () => undefined,
  };
  let facade: RestFacade;
  let server: Listening;

  beforeAll(async () => {
    facade = await createRestFacade({ router, documents: loadApiDocuments(), logger: pino({ name: 'dispatch-spec', level: 'silent' }) });
    server = await listen(facade.app, 0);
  });

  afterAll(async () => {
    await server.close();
    facade.close();
  });

  beforeEach(() => {
    handle.mockClear();
    calls.length = 0;
  });

  const signUp = { login: 'new_user', email: 'new@example.com', password: 'correct horse' };
  const counted = async (route: string): Promise<number> => {
    const { values } = await metricsRegistry.getSingleMetric('http_requests_total')!.get();
    return values.filter((v) => v.labels.service === 'dispatch-spec' && v.labels.route === route).reduce((sum, v) => sum + v.value, 0);
  };

  it('should answer API requests without express, with the route’s headers, no-store and a count under the operation', async () => {
    const before = await counted('GetUserByLogin');
    const res = await fetch(`${server.url}/private/v1/users/streamer`, { headers: { 'x-request-id': 'dispatch-1' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(user);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('ratelimit')).toBe('limit=10, remaining=9, reset=60');
    expect(res.headers.get('x-request-id')).toBe('dispatch-1');
    expect(calls).toEqual([expect.objectContaining({ operationName: 'GetUserByLogin', requestId: 'dispatch-1', clientIp: '127.0.0.1' })]);
    expect(await counted('GetUserByLogin')).toBe(before + 1);
    expect(handle).not.toHaveBeenCalled();
  });

  it('should read a compressed JSON body, and count a request refused before its operation is known as unmatched', async () => {
    const res = await fetch(`${server.url}/private/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(signUp)),
    });
    expect(res.status).toBe(201);
    expect(calls[0].variables).toEqual({ input: signUp });

    const before = await counted('unmatched');
    const refused = await fetch(`${server.url}/private/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'compress' },
      body: '{}',
    });
    expect(refused.status).toBe(415);
    expect(refused.headers.get('accept-encoding')).toBe('gzip, deflate, br');
    expect(await counted('unmatched')).toBe(before + 1);
    expect(handle).not.toHaveBeenCalled();
  });

  it('should take 256kb of raw body on the webhooks API and answer 413 past it', async () => {
    const post = (bytes: number) => fetch(`${server.url}/webhooks/v1/live/mux`, { method: 'POST', body: Buffer.alloc(bytes, 97) });
    expect((await post(262_144)).status).toBe(200);
    const res = await post(262_145);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(calls).toHaveLength(1);
  });

  it('should answer a GET with If-None-Match: * 304 as express did, unless the request says no-cache', async () => {
    // Not through fetch, which adds no-cache to a conditional request.
    const status = (headers: Record<string, string>) =>
      new Promise<number | undefined>((resolve, reject) => {
        get(`${server.url}/private/v1/users/streamer`, { headers }, (res) => {
          res.resume();
          resolve(res.statusCode);
        }).on('error', reject);
      });
    expect(await status({ 'if-none-match': '*' })).toBe(304);
    expect(await status({ 'if-none-match': '*', 'cache-control': 'no-cache' })).toBe(200);
  });

  it.each([
    ['an API’s document', '/private/v1/openapi.json', 200],
    ['an API’s reference page (its path with a trailing slash)', '/admin/v1/reference/', 200],
    ['the index of references', '/reference', 200],
    ['a probe', '/healthz', 200],
    ['a path under no API', '/nowhere', 404],
  ])('should leave %s to express', async (_case, path, status) => {
    const res = await fetch(`${server.url}${path}`);
    expect(res.status).toBe(status);
    expect(handle).toHaveBeenCalledTimes(1);
  });

  it('should leave OPTIONS on an API’s document to express, whose router names the page’s methods', async () => {
    const res = await fetch(`${server.url}/private/v1/openapi.json`, { method: 'OPTIONS' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('GET, HEAD');
    expect(handle).toHaveBeenCalledTimes(1);
  });

  it('should answer other methods on an API’s document path as the API', async () => {
    const res = await fetch(`${server.url}/private/v1/openapi.json`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect(handle).not.toHaveBeenCalled();
  });
});
