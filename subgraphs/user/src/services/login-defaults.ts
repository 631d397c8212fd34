import type { EventOf } from '../../../../kernel/events';
import type { PrismaClient } from '../data/prisma/client';
import type { LoginLimits } from './login-limiter';

export type LoginOverrides = Partial<Pick<LoginLimits, 'accountFailures' | 'accountLockSeconds' | 'attemptsPerIpPerMinute'>>;

/**
 * The platform's login limits, replaced whole by a higher version than the one held: redelivery and an older event
 * arriving late change nothing, so no processed-event record is needed. Absent or null limits restore the configured ones.
 */
export async function applyLoginDefaults(prisma: PrismaClient, event: EventOf<'ptfm.defaults.updated.v1'>): Promise<'applied' | 'stale'> {
  const { version, login } = event.data;
  const updated = await prisma.loginDefaults.updateMany({
    where: { id: 1, version: { lt: version } },
    data: {
      version,
      accountFailures: login?.accountFailures ?? null,
      accountLockSeconds: login?.accountLockSeconds ?? null,
      attemptsPerIpPerMinute: login?.attemptsPerIpPerMinute ?? null,
    },
  });
  return updated.count ? 'applied' : 'stale';
}

/**
 * The login limits staff set, read at most once per `ttlMs` per process: a login does not add a query each time,
 * and a change reaches every instance within that delay.
 */
export function loginOverrides(prisma: PrismaClient, ttlMs = 5000): () => Promise<LoginOverrides> {
  let cached: { at: number; value: Promise<LoginOverrides> } | undefined;
  const read = async (): Promise<LoginOverrides> => {
    const row = await prisma.loginDefaults.findUnique({ where: { id: 1 } });
    return {
      accountFailures: row?.accountFailures ?? undefined,
      accountLockSeconds: row?.accountLockSeconds ?? undefined,
      attemptsPerIpPerMinute: row?.attemptsPerIpPerMinute ?? undefined,
    };
  };
  return () => {
    if (!cached || Date.now() - cached.at >= ttlMs) {
      const value = read();
      cached = { at: Date.now(), value };
      // A failed read is not kept: the next login tries again.
      value.catch(() => {
        cached = undefined;
      });
    }
    return cached.value;
  };
}
