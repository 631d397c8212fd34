import pino from 'pino';
import { clientAddress, createHttpHandler, listen, sendText, UNMATCHED } from './http';
import { metricsRegistry } from './metrics';

describe(clientAddress.name, () => {
  const lb = new Set(['10.0.0.2', '10.0.0.3']);

  it("should take the socket's peer when it is not a proxy of ours, whatever the header says", () => {
    expect(clientAddress('203.0.113.9', '1.2.3.4', lb)).toBe('203.0.113.9');
    expect(clientAddress('203.0.113.9', undefined, new Set())).toBe('203.0.113.9');
  });

  it('should take the rightmost hop no proxy of ours wrote, not the leftmost the client wrote', () => {
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.9', lb)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.9, 10.0.0.3', lb)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.2', ['6.6.6.6', '203.0.113.9'], lb)).toBe('203.0.113.9');
  });

  it('should fall back to the first hop when every hop is ours, and to the peer without a header', () => {
    expect(clientAddress('10.0.0.2', '10.0.0.3', lb)).toBe('10.0.0.3');
    expect(clientAddress('10.0.0.2', undefined, lb)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', ' , ', lb)).toBe('10.0.0.2');
  });
});

describe(createHttpHandler.name, () => {
  const counted = async (route: string): Promise<number> => {
    const { values } = await metricsRegistry.getSingleMetric('http_requests_total')!.get();
    return values.filter((v) => v.labels.service === 'handler-spec' && v.labels.route === route).reduce((sum, v) => sum + v.value, 0);
  };

  it('should hand every request off its routes, probes included, to the fallback, which alone answers and counts it', async () => {
    const handler = createHttpHandler(
      pino({ name: 'handler-spec', level: 'silent' }),
      {},
      {
        routes: { '/api': async ({ res }) => sendText(res, 200, 'text/plain', 'api') },
        fail: () => undefined,
        fallback: (req, res) => sendText(res, 200, 'text/plain', `fallback ${req.url}`),
      },
    );
    const server = await listen(handler, 0);
    try {
      const before = await counted(UNMATCHED);
      const answers = await Promise.all(
        ['/api/x', '/apix', '/healthz', '/other?q=1'].map(async (path) => (await fetch(`${server.url}${path}`)).text()),
      );
      expect(answers).toEqual(['api', 'fallback /apix', 'fallback /healthz', 'fallback /other?q=1']);
      expect(await counted(UNMATCHED)).toBe(before);
    } finally {
      await server.close();
    }
  });

  it('should count a request and name its span under the route its handler names, else under the mount', async () => {
    const handler = createHttpHandler(
      pino({ name: 'handler-spec', level: 'silent' }),
      {},
      {
        routes: {
          '/api': async (exchange) => {
            if (exchange.path === '/api/named') exchange.name('GetThing');
            sendText(exchange.res, 200, 'text/plain', 'ok');
          },
        },
        fail: () => undefined,
      },
    );
    const server = await listen(handler, 0);
    try {
      const [named, mount] = [await counted('GetThing'), await counted('/api')];
      await fetch(`${server.url}/api/named`);
      await fetch(`${server.url}/api/other`);
      expect(await counted('GetThing')).toBe(named + 1);
      expect(await counted('/api')).toBe(mount + 1);
    } finally {
      await server.close();
    }
  });
});
