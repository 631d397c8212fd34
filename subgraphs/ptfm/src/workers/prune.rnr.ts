import type { Consumer, ConsumerStats, ConsumerStatus } from '../../../../kernel/bus/consumer';
import type { Logger } from '../../../../kernel/log';
import type { InboxService } from '../services/inbox.service';

/**
 * ptfm-prune-rnr's schedule: prunes the inbox at start and every `intervalMs`, with the shape of a consumer so the
 * process starts, stops and probes it like a worker. Several instances may run: deleting what another already
 * deleted deletes nothing.
 */
export function createPruneRunner(inbox: InboxService, intervalMs: number, logger: Logger): Consumer {
  const log = logger.child({ component: 'inbox-prune' });
  const counts: ConsumerStats = { processed: 0, retried: 0, deadLettered: 0 };
  let state: ConsumerStatus = 'waiting';
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const prune = async (): Promise<void> => {
    try {
      const removed = await inbox.prune(new Date());
      counts.processed += 1;
      if (state !== 'stopped') state = 'ready';
      log.info({ removed }, 'inbox pruned');
    } catch (error) {
      counts.retried += 1;
      if (state !== 'stopped') state = 'unhealthy';
      log.error({ err: error }, 'inbox not pruned; tried again at the next tick');
    }
  };

  return {
    async start() {
      state = 'ready';
      running = prune();
      timer = setInterval(() => {
        running = running.then(prune);
      }, intervalMs);
    },
    async stop() {
      state = 'stopped';
      clearInterval(timer);
      await running;
    },
    status: () => state,
    stats: () => ({ ...counts }),
  };
}
