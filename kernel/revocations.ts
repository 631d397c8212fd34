import { randomUUID } from 'node:crypto';
import { createConsumer, type Consumer } from './bus/consumer';
import type { EventBus } from './bus/port';
import { parseEvent } from './events';
import type { Logger } from './log';

const SUSPENDED = 'user.account.suspended.v1';

export interface Revocations {
  /** Whether a token of `userId` issued at `issuedAt` (epoch milliseconds) was revoked by a suspension since. */
  revoked(userId: string, issuedAt: number): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  ready(): boolean;
}

/**
 * Access tokens are signed and short-lived, so the gateways accept them without asking the user domain; a
 * suspension must still kill them at once. Every gateway instance (router-gtw, rt-gtw) reads the suspensions topic
 * from the start, in a group of its own, and refuses tokens issued at or before a user's latest suspension.
 * `onSuspended` lets a gateway end what is already open (rt-gtw closes the user's sockets).
 */
export function createRevocations(
  bus: EventBus,
  logger: Logger,
  gateway: string,
  onSuspended: (userId: string) => void = () => undefined,
  now: () => number = Date.now,
): Revocations {
  const notBefore = new Map<string, number>();
  const consumer: Consumer = createConsumer({
    bus,
    groupId: `${gateway}-revocations-${randomUUID()}`,
    topic: SUSPENDED,
    fromBeginning: true,
    parse: (value) => parseEvent(SUSPENDED, value),
    handle: async (event) => {
      // A suspension cannot be later than its receipt: a message dated in the future (forged, or a producer's clock
      // ahead) would otherwise refuse the user's tokens until that date, long after any reinstatement.
      const at = Math.min(Date.parse(event.data.suspendedAt), now());
      if (at > (notBefore.get(event.data.userId) ?? 0)) notBefore.set(event.data.userId, at);
      onSuspended(event.data.userId);
    },
    logger,
  });
  return {
    revoked: (userId, issuedAt) => {
      const since = notBefore.get(userId);
      return since !== undefined && issuedAt <= since;
    },
    start: async () => {
      await bus.ensureTopics([SUSPENDED]);
      await consumer.start();
    },
    stop: () => consumer.stop(),
    ready: () => consumer.status() === 'ready',
  };
}
