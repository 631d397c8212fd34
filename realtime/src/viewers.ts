import type { Redis } from 'ioredis';

/**
 * Viewer counts across instances. Each tick an instance reports its own connections per room and reads the
 * totals of the rooms it has viewerCount subscribers for.
 */
export interface ViewerCounter {
  exchange(local: Map<string, number>, wanted: string[]): Promise<Map<string, number>>;
  /** Withdraws this instance's counts. */
  stop(): Promise<void>;
}

/** One instance (or `npm start`): the totals are this instance's own counts. */
export function createLocalViewerCounter(): ViewerCounter {
  return {
    exchange: async (local, wanted) => new Map(wanted.map((channelId) => [channelId, local.get(channelId) ?? 0])),
    stop: async () => undefined,
  };
}

/**
 * Several instances: per room a hash `{prefix}viewers:{channelId}` of instance → count, and a sorted set
 * `{prefix}instances` of instance → last report. A total sums the counts of instances that reported within the
 * time-to-live, so the counts of an instance that died stop counting without anyone cleaning up after it; the
 * hashes expire when no instance reports them any more.
 */
export function createRedisViewerCounter(redis: Redis, options: { prefix: string; instanceId: string; ttlMs: number }): ViewerCounter {
  const { prefix, instanceId, ttlMs } = options;
  const instances = `${prefix}instances`;
  const roomKey = (channelId: string) => `${prefix}viewers:${channelId}`;
  let reported = new Set<string>();

  return {
    async exchange(local, wanted) {
      const now = Date.now();
      const pipeline = redis.pipeline();
      pipeline.zadd(instances, now, instanceId);
      pipeline.zremrangebyscore(instances, '-inf', now - 10 * ttlMs);
      const current = new Set<string>();
      for (const [channelId, count] of local) {
        if (count === 0) continue;
        current.add(channelId);
        pipeline.hset(roomKey(channelId), instanceId, count);
        pipeline.pexpire(roomKey(channelId), ttlMs);
      }
      for (const channelId of reported) if (!current.has(channelId)) pipeline.hdel(roomKey(channelId), instanceId);
      reported = current;
      pipeline.zrangebyscore(instances, now - ttlMs, '+inf');
      const liveAt = pipeline.length - 1;
      for (const channelId of wanted) pipeline.hgetall(roomKey(channelId));
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0];
      const live = new Set(results[liveAt][1] as string[]);
      const totals = new Map<string, number>();
      wanted.forEach((channelId, i) => {
        const counts = results[liveAt + 1 + i][1] as Record<string, string>;
        let total = 0;
        for (const [instance, count] of Object.entries(counts)) if (live.has(instance)) total += Number(count);
        totals.set(channelId, total);
      });
      return totals;
    },
    async stop() {
      const pipeline = redis.pipeline();
      for (const channelId of reported) pipeline.hdel(roomKey(channelId), instanceId);
      pipeline.zrem(instances, instanceId);
      await pipeline.exec();
      reported = new Set();
    },
  };
}
