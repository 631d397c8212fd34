import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSubgraphFetcher, inProcessFetch } from './subgraph-fetcher';

describe('the router’s subgraph fetcher', () => {
  let server: Server;
  let url: string;
  const received: { headers: IncomingMessage['headers']; body: string; remotePort?: number }[] = [];
  const fetcher = createSubgraphFetcher();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), remotePort: req.socket.remotePort });
        if (req.url === '/silent') return;
        if (req.url === '/refused') {
          res.writeHead(403, 'Forbidden', { 'content-type': 'text/plain' }).end('no');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-hops': ['one', 'two'] });
        res.end(JSON.stringify({ data: { echo: 'é' } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    fetcher.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('posts the body with its length and the headers given, and reads the JSON answer', async () => {
    const body = JSON.stringify({ query: '{ echo }', variables: { text: 'é' } });
    const response = await fetcher.fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-platform-identity': 'token' },
      body,
    });
    expect(response).toMatchObject({ ok: true, status: 200, url: `${url}/graphql` });
    expect(response.headers.get('Content-Type')).toBe('application/json');
    expect(response.headers.get('X-Hops')).toBe('one, two');
    expect(response.headers.get('x-absent')).toBeNull();
    expect(await response.json()).toEqual({ data: { echo: 'é' } });
    const last = received.at(-1);
    expect(last?.body).toBe(body);
    expect(last?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(last?.headers['x-platform-identity']).toBe('token');
  });

  it('reuses one connection for calls made one after another', async () => {
    const before = received.length;
    for (let i = 0; i < 3; i += 1) await (await fetcher.fetch(`${url}/graphql`, { method: 'POST', body: '{}' })).text();
    const ports = new Set(received.slice(before).map((r) => r.remotePort));
    expect(ports.size).toBe(1);
  });

  it('retires an idle connection a second before the server’s keep-alive timeout, not as the server closes it', async () => {
    const brief = createServer((req, res) => res.end(String(req.socket.remotePort)));
    brief.keepAliveTimeout = 2_000;
    await new Promise<void>((resolve) => brief.listen(0, '127.0.0.1', resolve));
    const briefUrl = `http://127.0.0.1:${(brief.address() as AddressInfo).port}/`;
    const client = createSubgraphFetcher();
    try {
      const first = await (await client.fetch(briefUrl)).text();
      expect(await (await client.fetch(briefUrl)).text()).toBe(first);
      // Past the hint less a second (1 s), before the server's 2 s: the client dropped the socket, the server not yet.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await (await client.fetch(briefUrl)).text()).not.toBe(first);
    } finally {
      client.close();
      await new Promise((resolve) => brief.close(resolve));
    }
  });

  it('hands a refusal back as an answer that is not ok, with its status text and body', async () => {
    const response = await fetcher.fetch(`${url}/refused`, { method: 'POST', body: '{}' });
    expect(response).toMatchObject({ ok: false, status: 403, statusText: 'Forbidden' });
    expect(await response.text()).toBe('no');
  });

  it('gives up a call when its signal aborts, before or while it waits, and serves the next one', async () => {
    await expect(fetcher.fetch(`${url}/silent`, { signal: AbortSignal.timeout(50) })).rejects.toThrow(/timeout/i);
    const aborted = new AbortController();
    aborted.abort(new Error('stopped'));
    await expect(fetcher.fetch(`${url}/graphql`, { signal: aborted.signal })).rejects.toThrow('stopped');
    expect((await fetcher.fetch(`${url}/graphql`, { signal: AbortSignal.timeout(1000) })).ok).toBe(true);
  });

  it('rejects when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetcher.fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', body: '{}' })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('the router’s fetch of a subgraph in its own process', () => {
  it('hands the subgraph the call as it would be posted and reads its answer as an HTTP one', async () => {
    const calls: unknown[] = [];
    const fetch = inProcessFetch(async (call) => {
      calls.push(call);
      return { status: 401, headers: { 'content-type': 'application/graphql-response+json' }, body: '{"errors":[]}' };
    });
    const response = await fetch('http://127.0.0.1:4001/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Platform-Identity': 'token' },
      body: '{"query":"{ me { id } }"}',
    });
    expect(calls).toEqual([
      { headers: { 'content-type': 'application/json', 'x-platform-identity': 'token' }, body: '{"query":"{ me { id } }"}' },
    ]);
    expect(response).toMatchObject({ ok: false, status: 401, statusText: 'Unauthorized', url: 'http://127.0.0.1:4001/graphql' });
    expect(response.headers.get('Content-Type')).toBe('application/graphql-response+json');
    expect(await response.json()).toEqual({ errors: [] });
  });
});
