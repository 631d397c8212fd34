import { escapeIdentifier, type Pool, type PoolClient } from 'pg';
import type { Consumer, ConsumerStats, ConsumerStatus } from '../../../../kernel/bus/consumer';
import type { Logger } from '../../../../kernel/log';

export interface SliceRunnerOptions {
  /** What the lanes do, in their logs. */
  name: string;
  pool: Pool;
  /** Claims and does one piece of pending work; null when there is none. */
  writeNext(): Promise<object | null>;
  /** The NOTIFY channel plans wake runners on. */
  channel: string;
  /** Slices written at once by this instance. */
  lanes: number;
  /**
   * How often an idle lane looks anyway: for slices a crashed instance left (their locks go with its connection,
   * without a NOTIFY) and NOTIFYs missed while the listening connection was down.
   */
  pollMs?: number;
  logger: Logger;
}

/**
 * Lanes that work through rows queued in PostgreSQL (fan-out slices, pushes) in a worker instance, with the shape of
 * a consumer so the worker process starts, stops and probes them like its Kafka consumers. Each lane takes work
 * until none is pending, then waits for a NOTIFY or the poll. Every instance runs lanes; the rows' locks share the
 * work out.
 */
export function createSliceRunner(options: SliceRunnerOptions): Consumer & { wake(): void } {
  const { pool, lanes } = options;
  const pollMs = options.pollMs ?? 1_000;
  const logger = options.logger.child({ component: options.name });
  const counts: ConsumerStats = { processed: 0, retried: 0, deadLettered: 0 };
  let state: ConsumerStatus = 'waiting';
  let running = false;
  let listener: PoolClient | undefined;
  const sleepers = new Set<() => void>();
  let loops: Promise<void>[] = [];

  const wake = (): void => {
    for (const end of [...sleepers]) end();
  };

  const nap = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const end = (): void => {
        clearTimeout(timer);
        sleepers.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      sleepers.add(end);
    });

  const listen = async (): Promise<void> => {
    const client = await pool.connect();
    client.on('notification', wake);
    client.on('error', (error) => {
      logger.warn({ err: error }, 'listener connection lost; polling until it is back');
      if (listener === client) listener = undefined;
      client.release(error);
    });
    await client.query(`LISTEN ${escapeIdentifier(options.channel)}`);
    listener = client;
  };

  const lane = async (): Promise<void> => {
    let failures = 0;
    while (running) {
      try {
        if (!listener) await listen();
        const written = await options.writeNext();
        failures = 0;
        if (running) state = 'ready';
        if (written) {
          counts.processed += 1;
          logger.debug(written, 'done');
        } else {
          await nap(pollMs);
        }
      } catch (error) {
        failures += 1;
        counts.retried += 1;
        if (running) state = 'unhealthy';
        logger.error({ err: error, failures }, 'failed; the work stays pending and is tried again');
        await nap(Math.min(200 * 2 ** (failures - 1), 5_000));
      }
    }
  };

  return {
    wake,
    async start(): Promise<void> {
      await listen();
      running = true;
      state = 'ready';
      loops = Array.from({ length: lanes }, () => lane());
    },
    async stop(): Promise<void> {
      running = false;
      state = 'stopped';
      wake();
      await Promise.all(loops);
      const client = listener;
      listener = undefined;
      if (client) {
        client.removeAllListeners('notification');
        await client.query(`UNLISTEN ${escapeIdentifier(options.channel)}`).catch(() => undefined);
        client.release();
      }
    },
    status: () => state,
    stats: () => ({ ...counts }),
  };
}
