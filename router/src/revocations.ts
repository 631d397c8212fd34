import { randomUUID } from 'node:crypto';
import { createConsumer, type Consumer } from '../../kernel/bus/consumer';
import type { EventBus } from '../../kernel/bus/port';
import { parseEvent } from '../../kernel/events';
import type { Logger } from '../../kernel/log';

const SUSPENDED = 'user.account.suspended.v1';

export interface Revocations {
  /** Whether a token of `userId` issued at `issuedAt` (epoch milliseconds) was revoked by a suspension since. */
  revoked(userId: string, issuedAt: number): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  ready(): boolean;
}

/**
 * Access tokens are signed and short-lived, so the router accepts them without asking the user domain; a
 * suspension must still kill them at once. Every router instance reads the suspensions topic from the start,
 * in a group of its own, and refuses tokens issued at or before a user's latest suspension.
 */
export function createRevocations(bus: EventBus, logger: Logger): Revocations {
  const notBefore = new Map<string, number>();
  const consumer: Consumer = createConsumer({
    bus,
    groupId: `router-gtw-revocations-${randomUUID()}`,
    topic: SUSPENDED,
    fromBeginning: true,
    parse: (value) => parseEvent(SUSPENDED, value),
    handle: async (event) => {
      const at = Date.parse(event.data.suspendedAt);
      if (at > (notBefore.get(event.data.userId) ?? 0)) notBefore.set(event.data.userId, at);
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
