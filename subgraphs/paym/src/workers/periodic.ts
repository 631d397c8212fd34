import type { Consumer, ConsumerStatus } from '../../../../kernel/bus/consumer';
import type { Logger } from '../../../../kernel/log';

/**
 * A task run every `intervalSeconds`, shaped as a consumer so the worker process runs it with the same health
 * endpoints: ready once its first round ran, unhealthy while rounds fail. `round` answers how many things it did.
 */
export function createPeriodicRunner(name: string, round: () => Promise<number>, intervalSeconds: number, logger: Logger): Consumer {
  let status: ConsumerStatus = 'waiting';
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let processed = 0;
  let failed = 0;
  const run = async () => {
    try {
      processed += await round();
      if (status !== 'stopped') status = 'ready';
    } catch (error) {
      failed += 1;
      if (status !== 'stopped') status = 'unhealthy';
      logger.warn({ err: error }, `${name} failed`);
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      running = run().then(() => {
        if (status !== 'stopped') schedule();
      });
    }, intervalSeconds * 1000);
  };
  return {
    start: async () => {
      await run();
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
