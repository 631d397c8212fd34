import type { Logger } from './log';

export interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

/**
 * On SIGTERM or SIGINT, stops the parts of a process in the order given (servers first so no new work comes in,
 * then workers so their offsets are committed, then connections), and exits 0; a second signal or a stop that
 * hangs past the grace period exits 1.
 */
export function stopOnSignals(logger: Logger, parts: Stoppable[], graceMs = 15_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      logger.error('grace period over, exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    for (const [index, part] of parts.entries()) {
      try {
        await part.stop();
        // The step numbers the order for readers of the log: a line held back by a full pipe is written later.
        logger.info({ part: part.name, step: index + 1 }, 'stopped');
      } catch (error) {
        logger.error({ part: part.name, err: error }, 'stop failed');
      }
    }
    // Log lines are written asynchronously: one still being written when the process exits would land after the
    // lines flushed at exit, or not at all.
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
