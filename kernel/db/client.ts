import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import type { Logger } from '../log';
import { traceQueries } from '../tracing';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/platform';

/**
 * The connection string of a domain's pool: the domain's PostgreSQL schema alone on the `search_path`, which is
 * what Prisma's `?schema=` means to its native engine. Unqualified names (raw SQL, the migration scripts, the
 * `_prisma_migrations` history) then resolve inside the domain's own schema. `options` is a startup parameter, and
 * `pg` lets the URL override its config object, so the setting has to travel in the URL itself.
 */
export function domainDatabaseUrl(databaseUrl: string, schema: string): string {
  const url = new URL(databaseUrl);
  const searchPath = `-c search_path="${schema}"`;
  const options = url.searchParams.get('options');
  url.searchParams.set('options', options ? `${options} ${searchPath}` : searchPath);
  return url.toString();
}

/**
 * How long a query waits for a free connection before it fails as the database being unavailable (503 with
 * Retry-After): a burst larger than the pool (hundreds of viewers asking for a room's history at once after a
 * reconnect) is then told to come back, within the facade's 10 s router timeout, rather than queued until that
 * timeout answers 504. Prisma's transactions wait 2 s for theirs (`maxWait`).
 */
export const POOL_WAIT_MS = 5_000;

/**
 * A domain's own pool, on its own schema. A connection the server drops (a restart, a failover, a shutdown) is
 * logged and replaced on the next checkout instead of crashing the process with an unhandled 'error': an idle one
 * through the pool's own event, one checked out (between the queries of a transaction, or while the outbox relay
 * publishes) through its client's, the holder learning of it from its next query.
 */
export function createDomainPool(databaseUrl: string, schema: string, max: number, logger?: Logger): Pool {
  const pool = new Pool({ connectionString: domainDatabaseUrl(databaseUrl, schema), max, connectionTimeoutMillis: POOL_WAIT_MS });
  pool.on('error', (error) => logger?.warn({ err: error, schema }, 'idle database connection lost'));
  pool.on('connect', (client) => {
    client.on('error', (error) => logger?.warn({ err: error, schema }, 'database connection lost'));
  });
  traceQueries(pool, schema);
  return pool;
}

export interface DomainDb<C> {
  pool: Pool;
  prisma: C;
  close(): Promise<void>;
}

/** A domain's generated Prisma client on the domain's own pool; the pool is shared with its outbox relay. */
export function connectDomainDb<C extends { $disconnect(): Promise<void> }>(
  Client: new (options: { adapter: PrismaPg }) => C,
  databaseUrl: string,
  schema: string,
  max: number,
  logger?: Logger,
): DomainDb<C> {
  const pool = createDomainPool(databaseUrl, schema, max, logger);
  const prisma = new Client({ adapter: new PrismaPg(pool, { schema }) });
  return {
    pool,
    prisma,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
