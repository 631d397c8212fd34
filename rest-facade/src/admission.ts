import type { Logger } from '../../kernel/log';
import { ProblemError } from './problem';
import type { RouterClient } from './router-client';

/**
 * Router calls a facade holds in flight at most. Above what the platform answers per second, more calls in flight
 * only wait longer: hundreds of viewers asking for a room's history at once after a reconnect, on two cores, waited
 * past the router timeout and were answered 504 after the work was done anyway; with 128 in flight some still did
 * (the herd is answered at a dozen calls a second while the viewers reconnect). An operator raises it with the
 * cores behind the facade.
 */
export const DEFAULT_MAX_IN_FLIGHT = 64;

/** The Retry-After of a call refused for load: long enough for the calls in flight to finish, short for a client. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/**
 * The router behind an admission limit: a call over `max` in flight is refused at once with 503 and Retry-After
 * rather than queued, so the calls admitted finish within the router timeout and a client knows when to come back
 * (load shedding, as a proxy's overload manager does). The log says when refusing begins and, with how many were
 * refused, when it ends: once per episode, not per request.
 */
export function admitting(router: RouterClient, max: number, logger: Logger): RouterClient {
  let inFlight = 0;
  let refused = 0;
  return {
    async execute(call) {
      if (inFlight >= max) {
        if (refused === 0) logger.warn({ max }, 'router calls at the limit: refusing with 503 and Retry-After until some finish');
        refused += 1;
        throw new ProblemError('UNAVAILABLE', 'the service is busy, retry later', {
          headers: { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) },
        });
      }
      inFlight += 1;
      try {
        return await router.execute(call);
      } finally {
        inFlight -= 1;
        if (refused > 0 && inFlight <= max / 2) {
          logger.warn({ refused }, 'router calls under the limit again');
          refused = 0;
        }
      }
    },
    healthy: () => router.healthy(),
    close: () => router.close(),
  };
}
