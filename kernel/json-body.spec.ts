import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { sendGraphQLError } from './graphql-http';
import { createHttpHandler, listen, sendText, type Listening } from './http';
import { BodyError, readJsonBody } from './json-body';

/** What the router and the subgraphs refuse before any GraphQL, on the `node:http` handler they share. */
describe(readJsonBody.name, () => {
  let server: Listening;

  beforeAll(async () => {
    const handler = createHttpHandler(
      pino({ level: 'silent' }),
      {},
      {
        routes: {
          '/echo': async ({ req, res }) => {
            try {
              sendText(res, 200, 'application/json', JSON.stringify({ body: (await readJsonBody(req, 64)) ?? null }));
            } catch (error) {
              if (!(error instanceof BodyError)) throw error;
              sendGraphQLError(res, error.status, 'BAD_REQUEST', error.message);
            }
          },
          '/fails': async () => {
            throw new Error('boom');
          },
        },
        fail: ({ res }) => sendGraphQLError(res, 500, 'INTERNAL', 'internal error'),
      },
    );
    server = await listen(handler, 0);
  });

  afterAll(() => server.close());

  const send = (path: string, headers: Record<string, string>, body?: string | Buffer, method = 'POST') =>
    new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
      const req = request(`${server.url}${path}`, { method, headers }, (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const json = { 'content-type': 'application/json' };

  it('should parse a JSON object or array, and read no body that is not JSON', async () => {
    expect(JSON.parse((await send('/echo', json, '{"a":1}')).body)).toEqual({ body: { a: 1 } });
    expect(JSON.parse((await send('/echo', { 'content-type': 'application/json; charset=UTF-8' }, '[1]')).body)).toEqual({ body: [1] });
    expect(JSON.parse((await send('/echo', json, '')).body)).toEqual({ body: {} });
    expect(JSON.parse((await send('/echo', { 'content-type': 'text/plain' }, '{"a":1}')).body)).toEqual({ body: null });
    expect(JSON.parse((await send('/echo', {}, undefined, 'GET')).body)).toEqual({ body: null });
  });

  it('should decompress a gzip body, and bound what it decompresses to', async () => {
    const small = await send('/echo', { ...json, 'content-encoding': 'gzip' }, gzipSync('{"a":1}'));
    expect(JSON.parse(small.body)).toEqual({ body: { a: 1 } });
    const bomb = await send('/echo', { ...json, 'content-encoding': 'gzip' }, gzipSync(JSON.stringify({ a: 'x'.repeat(1000) })));
    expect(bomb.status).toBe(413);
  });

  it.each([
    ['malformed JSON', json, '{nope', 400],
    ['a JSON string', json, '"x"', 400],
    ['a body that does not decompress', { ...json, 'content-encoding': 'gzip' }, 'not gzip', 400],
    ['a body over the limit', json, JSON.stringify({ a: 'x'.repeat(100) }), 413],
    ['an unknown encoding', { ...json, 'content-encoding': 'compress' }, '{}', 415],
    ['a charset other than UTF-8', { 'content-type': 'application/json; charset=latin1' }, '{}', 415],
  ])('should refuse %s', async (_case, headers, body, status) => {
    const res = await send('/echo', headers, body);
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('should answer the routes and the paths under them, the probes, and a 404 for anything else', async () => {
    expect((await send('/echo/under', json, '{}')).status).toBe(200);
    expect((await send('/ECHO', json, '{}')).status).toBe(404);
    expect((await send('/healthz', {}, undefined, 'GET')).body).toBe('{"status":"ok"}');
    expect((await send('/healthz', {}, undefined, 'POST')).status).toBe(404);
    const missing = await send('/nope', {}, undefined, 'GET');
    expect(missing.status).toBe(404);
    expect(missing.headers['x-request-id']).toEqual(expect.any(String));
  });

  it("should keep the caller's well-formed request id, and answer 500 when a route throws", async () => {
    expect((await send('/echo', { ...json, 'x-request-id': 'abc-1' }, '{}')).headers['x-request-id']).toBe('abc-1');
    const failed = await send('/fails', json, '{}');
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body).errors[0].extensions.code).toBe('INTERNAL');
  });
});
