import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { readBody } from './body';

interface Read {
  body?: unknown;
  bytes?: number;
  error?: { status: number; type?: string };
}

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    readBody(req, res, req.url === '/raw').then(
      (body) => res.end(JSON.stringify(Buffer.isBuffer(body) ? { bytes: body.length } : { body })),
      (error: { status: number; type?: string }) => res.end(JSON.stringify({ error: { status: error.status, type: error.type } })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function read(path: '/json' | '/raw', body: string | Buffer | undefined, headers: Record<string, string> = {}): Promise<Read> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers, body });
  return (await res.json()) as Read;
}

const JSON_TYPE = { 'content-type': 'application/json' };
/** A JSON object of exactly `bytes` bytes. */
const jsonOf = (bytes: number) => JSON.stringify({ a: 'x'.repeat(bytes - '{"a":""}'.length) });

describe(readBody.name, () => {
  describe('JSON', () => {
    it('should parse application/json and any +json type', async () => {
      expect(await read('/json', '{"login":"a"}', JSON_TYPE)).toEqual({ body: { login: 'a' } });
      expect(await read('/json', '[1]', { 'content-type': 'application/merge-patch+json' })).toEqual({ body: [1] });
    });

    it('should leave a body of another type, or no body, unread', async () => {
      expect(await read('/json', 'login=a', { 'content-type': 'application/x-www-form-urlencoded' })).toEqual({});
      expect(await read('/json', undefined)).toEqual({});
    });

    it('should take 64kb and refuse one byte more with entity.too.large', async () => {
      expect(await read('/json', jsonOf(65_536), JSON_TYPE)).toEqual({ body: { a: expect.any(String) } });
      expect(await read('/json', jsonOf(65_537), JSON_TYPE)).toEqual({ error: { status: 413, type: 'entity.too.large' } });
    });

    it('should decode gzip and br, and bound what a body decompresses to', async () => {
      expect(await read('/json', gzipSync('{"a":1}'), { ...JSON_TYPE, 'content-encoding': 'gzip' })).toEqual({ body: { a: 1 } });
      expect(await read('/json', brotliCompressSync('{"a":1}'), { ...JSON_TYPE, 'content-encoding': 'br' })).toEqual({ body: { a: 1 } });
      const bomb = gzipSync(jsonOf(65_537));
      expect(bomb.length).toBeLessThan(1_000);
      expect(await read('/json', bomb, { ...JSON_TYPE, 'content-encoding': 'gzip' })).toEqual({
        error: { status: 413, type: 'entity.too.large' },
      });
    });

    it('should refuse malformed JSON, an unknown coding and a charset other than UTF', async () => {
      expect(await read('/json', '{"a":', JSON_TYPE)).toEqual({ error: { status: 400, type: 'entity.parse.failed' } });
      expect(await read('/json', '"a"', JSON_TYPE)).toEqual({ error: { status: 400, type: 'entity.parse.failed' } });
      expect(await read('/json', '{}', { ...JSON_TYPE, 'content-encoding': 'compress' })).toEqual({
        error: { status: 415, type: 'encoding.unsupported' },
      });
      expect(await read('/json', '{}', { 'content-type': 'application/json; charset=latin1' })).toEqual({
        error: { status: 415, type: 'charset.unsupported' },
      });
    });
  });

  describe('raw', () => {
    it('should keep the bytes of any type, 256kb at most', async () => {
      expect(await read('/raw', 'hello', { 'content-type': 'text/plain' })).toEqual({ bytes: 5 });
      expect(await read('/raw', Buffer.alloc(262_144))).toEqual({ bytes: 262_144 });
      expect(await read('/raw', Buffer.alloc(262_145))).toEqual({ error: { status: 413, type: 'entity.too.large' } });
    });

    it('should decode a compressed body to the bytes that were compressed', async () => {
      expect(await read('/raw', gzipSync(Buffer.alloc(1_000)), { 'content-encoding': 'gzip' })).toEqual({ bytes: 1_000 });
    });
  });
});
