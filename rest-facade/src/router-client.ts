import { Agent, request, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { KEPT_ALIVE } from '../../kernel/http';
import { REQUEST_ID_HEADER } from '../../kernel/identity';
import { type GraphQLErrorShape, ProblemError } from './problem';
import { traceHeaders } from '../../kernel/tracing';

export interface GraphQLCall {
  operationName: string;
  /** The operation's id in the persisted-query manifest. */
  id: string;
  /** The API and version of the route (`public.v1`): the router takes that API's kind of token only. */
  api: string;
  variables: Record<string, unknown>;
  authorization?: string;
  requestId: string;
  /** The caller's address, for per-client limits behind the facade. */
  clientIp?: string;
}

export interface GraphQLResult {
  data?: Record<string, unknown> | null;
  errors?: GraphQLErrorShape[];
  /** The router's headers the client must see (rate limits), success or not. */
  headers?: Record<string, string>;
}

/** Headers of the router's answer that are the client's business too: rate limits, and why a token failed. */
export const FORWARDED_HEADERS = ['ratelimit-policy', 'ratelimit', 'www-authenticate'];

export function forwardedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') picked[name] = value;
  }
  return picked;
}

export interface RouterClient {
  execute(call: GraphQLCall): Promise<GraphQLResult>;
  /** Whether the router's /healthz answers 200. */
  healthy(): Promise<boolean>;
  close(): void;
}

class RouterTimeout extends Error {}

/** Readiness probes expect an answer within their own period, whatever a slow operation may take. */
const HEALTH_TIMEOUT_MS = 1000;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const isGraphQLResult = (value: unknown): value is GraphQLResult => {
  if (typeof value !== 'object' || value === null) return false;
  const { data, errors } = value as Record<string, unknown>;
  if (errors !== undefined) return Array.isArray(errors) && errors.length > 0 && typeof errors[0] === 'object' && errors[0] !== null;
  return typeof data === 'object';
};

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Executes persisted operations on the router. Connections are kept alive and reused (an idle socket is
 * retired before the router closes it: `KEPT_ALIVE`): a new TCP connection per REST call would cost more than
 * everything else the facade does.
 */
export function createRouterClient(graphqlUrl: string, timeoutMs: number): RouterClient {
  const healthUrl = new URL('/healthz', graphqlUrl).href;
  const secure = graphqlUrl.startsWith('https:');
  const agent: Agent = secure ? new HttpsAgent(KEPT_ALIVE) : new Agent(KEPT_ALIVE);
  const send = secure ? (httpsRequest as typeof request) : request;

  const exchange = (method: string, url: string, timeout: number, headers: OutgoingHttpHeaders = {}, body?: string) =>
    new Promise<Reply>((resolve, reject) => {
      const req = send(url, { method, agent, headers, timeout }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new RouterTimeout()));
      req.on('error', reject);
      req.end(body);
    });

  return {
    async execute(call) {
      const payload = JSON.stringify({
        operationName: call.operationName,
        variables: call.variables,
        extensions: { persistedQuery: { version: 1, sha256Hash: call.id }, api: call.api },
      });
      const headers: OutgoingHttpHeaders = {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        accept: 'application/json',
        [REQUEST_ID_HEADER]: call.requestId,
        ...traceHeaders(),
      };
      if (call.authorization) headers.authorization = call.authorization;
      if (call.clientIp) headers['x-forwarded-for'] = call.clientIp;
      let reply: Reply;
      try {
        reply = await exchange('POST', graphqlUrl, timeoutMs, headers, payload);
      } catch (error) {
        if (error instanceof RouterTimeout) {
          throw new ProblemError('GATEWAY_TIMEOUT', 'the request took too long, retry later', { cause: error });
        }
        throw new ProblemError('UNAVAILABLE', 'the service is unavailable, retry later', { cause: error });
      }
      const result = parseJson(reply.body);
      if (isGraphQLResult(result)) return { ...result, headers: forwardedHeaders(reply.headers) };
      const cause = { routerStatus: reply.status, body: reply.body.subarray(0, 200).toString('utf8') };
      if (reply.status === 503) throw new ProblemError('UNAVAILABLE', 'the service is unavailable, retry later', { cause });
      throw new ProblemError('BAD_GATEWAY', 'the request could not be completed', { cause });
    },

    async healthy() {
      try {
        return (await exchange('GET', healthUrl, HEALTH_TIMEOUT_MS)).status === 200;
      } catch {
        return false;
      }
    },

    close() {
      agent.destroy();
    },
  };
}
