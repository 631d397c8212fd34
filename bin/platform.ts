import { kafkaBusFromConfig, kafkaConfigSchema } from '../kernel/bus/config';
import type { EventBus } from '../kernel/bus/port';
import { ConfigError, kafkaBrokers, parseConfig } from '../kernel/config';
import { stopOnSignals, type Stoppable } from '../kernel/lifecycle';
import { createLogger, type Logger } from '../kernel/log';
import { startEverything } from './everything';
import { ALL_ROWS, type ProcessRow } from './processes';
import { startTracing } from '../kernel/tracing';

/**
 * One entry point for every process: `node dist/bin/platform.js <process-name>`, the names being the registry's
 * (`processes.ts`). Each process reads and validates its own environment and runs alone against real PostgreSQL
 * and Kafka; `all` runs every process in one for a newcomer, on embedded defaults.
 */
const busConfigSchema = kafkaConfigSchema.safeExtend({
  KAFKA_BROKERS: kafkaBrokers.refine((b) => b.length > 0, 'is required for a process running alone (host:port,...)'),
});

async function kafkaFor(name: string, logger: Logger): Promise<EventBus & Stoppable> {
  const bus = kafkaBusFromConfig(parseConfig(busConfigSchema), name, logger);
  return Object.assign(bus, { name: 'bus', stop: () => bus.close() });
}

type Starter = (name: string, logger: Logger) => Promise<Stoppable[]>;

/** A process alone: its stricter config, its own Kafka connection, stopped after the process itself. */
const alone =
  (process: ProcessRow): Starter =>
  async (name, logger) => {
    const config = parseConfig(process.alone ? process.config.extend(process.alone) : process.config);
    const bus = process.bus ? await kafkaFor(name, logger) : undefined;
    // A row that declares no bus never reads the one it is handed.
    const running = await process.start(config, bus as EventBus, logger);
    return [{ name, stop: running.stop }, ...(bus ? [bus] : [])];
  };

const PROCESSES: Record<string, Starter> = {
  ...Object.fromEntries(Object.entries(ALL_ROWS).map(([name, process]) => [name, alone(process)])),
  // `all --demo` seeds the demo accounts into an external DATABASE_URL too (the embedded one always gets them).
  all: async (_name, logger) => startEverything(logger, { demo: process.argv.slice(3).includes('--demo') }),
};

/** `<runner> --once`: one pass, then exit 0, also when another instance held the lock (the log says so). */
async function once(name: string): Promise<void> {
  const row = ALL_ROWS[name];
  if (!row?.once) {
    const runners = Object.keys(ALL_ROWS).filter((process) => ALL_ROWS[process].once);
    console.error(`usage: platform <${runners.join('|')}> --once`);
    process.exit(2);
  }
  const logger = createLogger(name, process.env.LOG_LEVEL);
  try {
    await row.once(parseConfig(row.config), logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${name}: ${error.message}`);
      process.exit(78);
    }
    logger.fatal({ err: error }, 'pass failed');
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  if (process.argv.slice(3).includes('--once')) return once(name);
  const start = PROCESSES[name];
  if (!start) {
    console.error(`usage: platform <${Object.keys(PROCESSES).join('|')}>`);
    process.exit(2);
  }
  const logger = createLogger(name, process.env.LOG_LEVEL);
  try {
    // Signals are handled from the first moment: a SIGTERM during start-up stops what has started so far.
    const parts: Stoppable[] = [];
    stopOnSignals(logger, parts);
    // Started first, so that the spans of everything the process starts reach it; last to stop, to send them all.
    const tracing = startTracing(name);
    parts.push(...(await start(name, logger)));
    if (tracing) parts.push({ name: 'tracing', stop: tracing.stop });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${name}: ${error.message}`);
      process.exit(78);
    }
    logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  }
}

void main();
