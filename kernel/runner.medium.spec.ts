import { pino } from 'pino';
import { createScratchDatabase } from '../test/support/database';
import { createDomainPool, type DomainDb } from './db/client';
import { metricsRegistry } from './metrics';
import { type RunnerDefinition, runPass } from './runner';

/** The runner's lock against a real PostgreSQL: two instances passing at once, one works. */
describe('runPass', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    scratch = await createScratchDatabase();
  });

  afterAll(() => scratch?.drop());

  /** An instance of the runner on a pool of its own, as a second process would be. */
  const instance = (): DomainDb<null> => {
    const pool = createDomainPool(scratch.url, 'public', 2);
    return { pool, prisma: null, close: () => pool.end() };
  };

  it('should let one of two instances started at once pass, and the other skip and say so', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let passes = 0;
    const definition: RunnerDefinition<null> = {
      name: 'test-lock-rnr',
      connect: instance,
      pass: async () => {
        passes += 1;
        await held;
        return { removed: 3 };
      },
    };
    const [first, second] = [instance(), instance()];
    try {
      const working = runPass(definition, first, logger);
      while (passes === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await expect(runPass(definition, second, logger)).resolves.toBeNull();
      release();
      await expect(working).resolves.toEqual({ removed: 3 });
      expect(passes).toBe(1);
      // Released after the pass: the next one, from either instance, works.
      await expect(runPass(definition, second, logger)).resolves.toEqual({ removed: 3 });
      const metrics = await metricsRegistry.metrics();
      expect(metrics).toContain('runner_passes_total{runner="test-lock-rnr",outcome="skipped"} 1');
      expect(metrics).toContain('runner_items_total{runner="test-lock-rnr",kind="removed"} 6');
    } finally {
      release();
      await Promise.all([first.close(), second.close()]);
    }
  });
});
