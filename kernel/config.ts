import { z } from 'zod';

/**
 * Every process reads its environment once, through one zod schema, and refuses to start while anything is
 * wrong, listing every problem at once so an operator fixes them in one go.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function parseConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const databaseUrl = z
  .string({ error: 'is required (postgresql://user@host:port/db)' })
  .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL');

export const kafkaBrokers = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean)
      : [],
  )
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port')));

export const secret = (name: string) =>
  z.string({ error: `is required (${name}, at least 32 characters)` }).min(32, 'must be at least 32 characters');

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

export const url = z.url();

export const redisUrl = z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' });

/** A comma-separated list of addresses (trusted proxies), `fallback` when unset. */
export const addressList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v) =>
      v
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    );

/** How often a runner (`{domain}-{usage}-rnr`) passes, in milliseconds: hourly unless set. */
export const runnerIntervalMs = z.coerce.number().int().min(1_000).default(3_600_000);

/**
 * The replay window, in days: how long a published outbox row and a processed event's id are kept. At least the
 * bus's retention (Kafka's default is 7 days), so no redelivery outlives the id that would catch it.
 */
export const replayWindowDays = z.coerce.number().int().min(1).default(7);
