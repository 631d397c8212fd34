import { Agent, type IncomingHttpHeaders, request, STATUS_CODES } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { KEPT_ALIVE } from '../../kernel/http';
import type { InProcessSubgraph } from '../../kernel/subgraph-port';

/** What `RemoteGraphQLDataSource` passes its fetcher: a POST with a JSON body and flat headers. */
interface SubgraphRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Aborts the call: the router's readiness probes give a subgraph so long to answer. */
  signal?: AbortSignal;
}

/** What `RemoteGraphQLDataSource` reads of the answer. */
export interface SubgraphResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export interface SubgraphFetcher {
  fetch(url: string, init?: SubgraphRequestInit): Promise<SubgraphResponse>;
  /** Closes the pooled connections. */
  close(): void;
}

const headerReader = (headers: IncomingHttpHeaders) => ({
  get(name: string): string | null {
    const value = headers[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  },
});

/** A subgraph's answer as the data source reads it, however it came. */
const answerOf = (url: string, status: number, statusText: string, headers: IncomingHttpHeaders, text: string): SubgraphResponse => ({
  ok: status >= 200 && status < 300,
  status,
  statusText,
  url,
  headers: headerReader(headers),
  json: async () => JSON.parse(text) as unknown,
  text: async () => text,
});

/**
 * The router's client for its subgraphs: node:http over kept-alive connections. Node's global fetch (undici with
 * WHATWG streams and Headers) spent three to four times the CPU of this per subgraph call, and a persisted
 * operation makes one call per step of its query plan. An idle socket is retired before the subgraph closes it
 * (`KEPT_ALIVE`).
 */
export function createSubgraphFetcher(): SubgraphFetcher {
  const agent = new Agent(KEPT_ALIVE);
  const secureAgent = new HttpsAgent(KEPT_ALIVE);
  return {
    fetch: (url, init = {}) =>
      new Promise((resolve, reject) => {
        const secure = url.startsWith('https:');
        const send = secure ? (httpsRequest as typeof request) : request;
        const headers: Record<string, string | number> = { ...init.headers };
        if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body);
        const req = send(url, { method: init.method ?? 'GET', headers, agent: secure ? secureAgent : agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            resolve(answerOf(url, status, res.statusMessage ?? '', res.headers, Buffer.concat(chunks).toString('utf8')));
          });
        });
        req.on('error', reject);
        if (init.signal) {
          const { signal } = init;
          if (signal.aborted) req.destroy(signal.reason as Error);
          else {
            const abort = () => req.destroy(signal.reason as Error);
            signal.addEventListener('abort', abort, { once: true });
            req.on('close', () => signal.removeEventListener('abort', abort));
          }
        }
        req.end(init.body);
      }),
    close() {
      agent.destroy();
      secureAgent.destroy();
    },
  };
}

/**
 * The fetch of a subgraph in the router's own process (`npm start`): the call is handed to the subgraph as it would
 * be posted, and its answer read as an HTTP one, so the data source cannot tell the difference.
 */
export function inProcessFetch(subgraph: InProcessSubgraph): SubgraphFetcher['fetch'] {
  return async (url, init = {}) => {
    const headers = Object.fromEntries(Object.entries(init.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    const answer = await subgraph({ headers, body: init.body ?? '' });
    return answerOf(url, answer.status, STATUS_CODES[answer.status] ?? '', answer.headers, answer.body);
  };
}
