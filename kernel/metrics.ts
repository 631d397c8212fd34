import type { Pool } from 'pg';
import { escapeIdentifier } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, register } from 'prom-client';

/**
 * Prometheus metrics of the process, served at `/metrics` beside `/healthz` (kernel/http.ts). One registry per
 * process: `npm start` and the tests run several processes in one, which then share it, each series naming its
 * `service` where the same metric is kept by several of them. Hooks in the request path only increment a counter
 * or observe a histogram: the work of rendering is the scraper's.
 */
export const metricsRegistry = register;

// The event loop's lag is sampled every 100 ms, not prom-client's 10 ms: its timer woke every process a hundred
// times a second, about 0.7% of a core for an idle worker, and a benchmark runs thirty processes on two cores. A
// lag that matters lasts longer than the sampling period.
collectDefaultMetrics({ register, eventLoopMonitoringPrecision: 100 });

/** Request latency buckets, in seconds: from a cached read to a slow write through several subgraphs. */
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests served, by service, method, route (a REST operation id where there is one) and status.',
  labelNames: ['service', 'method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
});

export const httpRequests = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests served, by service, method, route and status.',
  labelNames: ['service', 'method', 'route', 'status'] as const,
});

/** Counts and times one answered HTTP request (called once per request, when its answer is sent). */
export function observeHttpRequest(service: string, method: string, route: string, status: number, seconds: number): void {
  const labels = { service, method, route, status: String(status) };
  httpRequests.inc(labels);
  httpRequestDuration.observe(labels, seconds);
}

export const graphqlOperations = new Counter({
  name: 'graphql_operations_total',
  help: 'GraphQL operations run by the router, by operation name, kind (persisted or explorer) and outcome.',
  labelNames: ['operation', 'kind', 'outcome'] as const,
});

export const graphqlOperationDuration = new Histogram({
  name: 'graphql_operation_duration_seconds',
  help: 'Time the router took to answer a GraphQL operation, by operation name, kind and outcome.',
  labelNames: ['operation', 'kind', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
});

/** `ok`: data and no error; `error`: the operation ran and answered errors; `refused`: it did not run (4xx/5xx). */
export type OperationOutcome = 'ok' | 'error' | 'refused';

export function observeOperation(operation: string, kind: 'persisted' | 'explorer', outcome: OperationOutcome, seconds: number): void {
  const labels = { operation, kind, outcome };
  graphqlOperations.inc(labels);
  graphqlOperationDuration.observe(labels, seconds);
}

export const subgraphFetchDuration = new Histogram({
  name: 'subgraph_fetch_duration_seconds',
  help: 'Time the router waited for a subgraph to answer one fetch of a query plan, by subgraph and outcome.',
  labelNames: ['subgraph', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
});

/** A fetch function that times each call under `subgraph`. */
export function timedFetch(subgraph: string, fetcher: typeof fetch): typeof fetch {
  return async (input, init) => {
    const end = subgraphFetchDuration.startTimer({ subgraph });
    try {
      const response = await fetcher(input, init);
      end({ outcome: response.ok ? 'ok' : 'http_error' });
      return response;
    } catch (error) {
      end({ outcome: 'network_error' });
      throw error;
    }
  };
}

export const rateLimitRefusals = new Counter({
  name: 'rate_limit_refusals_total',
  help: 'Requests refused because their caller spent its rate limit, by limit.',
  labelNames: ['limit'] as const,
});

export const consumerMessages = new Counter({
  name: 'kafka_consumer_messages_total',
  help: 'Messages a worker consumer finished, by topic, consumer group and outcome (processed, dead_lettered), and retries.',
  labelNames: ['topic', 'group', 'outcome'] as const,
});

export const consumerLag = new Gauge({
  name: 'kafka_consumer_lag_messages',
  help: "Messages of a partition after the last one a consumer group handled, as of that message's batch.",
  labelNames: ['topic', 'group', 'partition'] as const,
});

export const realtimeSockets = new Gauge({ name: 'realtime_sockets', help: 'WebSocket connections open on rt-gtw.' });

export const realtimeSubscriptions = new Gauge({ name: 'realtime_subscriptions', help: 'Subscriptions active on rt-gtw.' });

export const realtimeFrames = new Counter({ name: 'realtime_frames_sent_total', help: 'Frames rt-gtw wrote to its sockets.' });

const outboxes = new Map<string, Pool>();

const outboxAge = new Gauge({
  name: 'outbox_oldest_unpublished_age_seconds',
  help: 'Age of the oldest unpublished row of a domain outbox (0 when none waits).',
  labelNames: ['schema'] as const,
});

/**
 * The unpublished rows of each outbox relayed in this process, read when scraped: a count kept in memory would
 * miss the rows other instances publish.
 */
new Gauge({
  name: 'outbox_backlog_rows',
  help: 'Rows of a domain outbox not yet published to the bus.',
  labelNames: ['schema'] as const,
  async collect() {
    this.reset();
    await Promise.all(
      [...outboxes].map(async ([schema, pool]) => {
        const { rows } = await pool.query<{ rows: string; age: number | null }>(
          `SELECT count(*) AS rows, extract(epoch FROM now() - min(created_at))::float8 AS age FROM ${escapeIdentifier(schema)}."outbox" WHERE published_at IS NULL`,
        );
        this.set({ schema }, Number(rows[0].rows));
        outboxAge.set({ schema }, rows[0].age ?? 0);
      }),
    ).catch(() => undefined);
  },
});

/** Reports the backlog of `schema`'s outbox until the returned function is called. */
export function watchOutbox(schema: string, pool: Pool): () => void {
  outboxes.set(schema, pool);
  return () => {
    if (outboxes.get(schema) === pool) outboxes.delete(schema);
  };
}
