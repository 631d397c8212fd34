import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout, one logger per process, each line naming the process (`npm start` runs several in one). */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, timestamp: pino.stdTimeFunctions.isoTime });
}
