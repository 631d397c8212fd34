import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout, one logger per process, named after the process. */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { process: name }, timestamp: pino.stdTimeFunctions.isoTime });
}
