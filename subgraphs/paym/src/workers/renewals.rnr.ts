import type { Consumer, ConsumerStatus } from '../../../../kernel/bus/consumer';
import type { Logger } from '../../../../kernel/log';
import type { RenewalsService } from '../services/renewals.service';

/**
 * paym-renewals-rnr: sweeps overdue entitlements every `intervalSeconds`. Shaped as a consumer so the worker process
 * runs it with the same health endpoints: ready once its first sweep ran, unhealthy while sweeps fail.
 */
export function createRenewalsRunner(renewals: RenewalsService, intervalSeconds: number, logger: Logger): Consumer {
  let status: ConsumerStatus = 'waiting';
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let processed = 0;
  let failed = 0;
  const sweep = async () => {
    try {
      const expired = await renewals.sweep();
      if (expired) logger.info({ expired }, 'overdue subscriptions expired');
      processed += expired ?? 0;
      if (status !== 'stopped') status = 'ready';
    } catch (error) {
      failed += 1;
      if (status !== 'stopped') status = 'unhealthy';
      logger.warn({ err: error }, 'renewals sweep failed');
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      running = sweep().then(() => {
        if (status !== 'stopped') schedule();
      });
    }, intervalSeconds * 1000);
  };
  return {
    start: async () => {
      await sweep();
      schedule();
    },
    stop: async () => {
      status = 'stopped';
      clearTimeout(timer);
      await running;
    },
    status: () => status,
    stats: () => ({ processed, retried: failed, deadLettered: 0 }),
  };
}
