/**
 * Whether an error says the database cannot be reached right now (stopped, restarting, failing over, the network
 * between), as opposed to a fault of the request or of the code: a request then answers 503 with Retry-After, and
 * a consumer waits for the database instead of spending its attempts and dead-lettering a good message.
 *
 * Seen through the layers that wrap it: GraphQL's `originalError`, Prisma's driver-adapter error (`meta`), `cause`.
 */
const UNREACHABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
/** Prisma's: cannot reach the server, timed out reaching it, it closed the connection, no connection free in time. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);
/** SQLSTATE class 08 (connection exception), admin or crash shutdown, cannot connect now, too many connections. */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;
/**
 * Prisma's transaction API when no connection came free for a transaction in time (as P2024 for a single query), or
 * when a transaction outlived its timeout because the server answered too slowly (Prisma has rolled it back, so
 * nothing of it is written and the caller may try again).
 */
const TRANSACTION_STARVED = /Unable to start a transaction in the given time|cannot be executed on an expired transaction/;
/**
 * node-postgres ends a query this way when the server goes away under it, or refuses one on a connection already
 * lost (the pool discards that connection when it is released), or when its pool had no connection free within the
 * pool's wait (a burst larger than the pool: Prisma's driver adapter passes that error on as it is); these errors
 * have no code.
 */
const TERMINATED =
  /^(Connection terminated( unexpectedly| due to connection timeout)?|Client (has encountered a connection error|was closed) and is not queryable|timeout exceeded when trying to connect)$/;

export const DATABASE_RETRY_AFTER_SECONDS = 5;

export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 8; depth += 1) {
    const { code, message, meta, originalError, cause } = current as {
      code?: unknown;
      message?: unknown;
      meta?: { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown } } };
      originalError?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string' && (PRISMA_CODES.has(code) || SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
    if (typeof message === 'string' && TERMINATED.test(message)) return true;
    if (code === 'P2028' && typeof message === 'string' && TRANSACTION_STARVED.test(message)) return true;
    const adapter = meta?.driverAdapterError?.cause;
    if (typeof adapter?.kind === 'string' && UNREACHABLE_KINDS.has(adapter.kind)) return true;
    if (typeof adapter?.code === 'string' && UNAVAILABLE_SQLSTATE.test(adapter.code)) return true;
    current = originalError ?? cause;
  }
  return false;
}
