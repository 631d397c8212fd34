import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startAllProcesses } from '../../bin/everything';
import { portsEnv } from '../../bin/processes';
import { createMemoryBus } from '../../kernel/bus/memory';
import { createLogger } from '../../kernel/log';
import { createScratchDatabase } from '../support/database';
import { generatedKeysEnv } from '../../kernel/keys';

/** A platform that cannot start completely leaves nothing behind: no pool, no listener, no consumer. */
describe('a failed start', () => {
  it('should stop the processes already started when a later one fails', async () => {
    const database = await createScratchDatabase();
    const secret = () => randomBytes(32).toString('base64url');
    try {
      const start = startAllProcesses({
        env: {
          DATABASE_URL: database.url,
          ...generatedKeysEnv(),
          OAUTH_ROUTER_CLIENT_SECRET: secret(),
          LIVE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
          ...portsEnv(0),
          // The router's config is read after the domains have started.
          ROUTER_PORT: 'not-a-port',
        },
        bus: createMemoryBus(),
        logger: createLogger('test', 'silent'),
        without: ['user-oauth-svc'],
      });
      await expect(start).rejects.toThrow(/ROUTER_PORT/);

      const admin = new Client({ connectionString: Object.assign(new URL(database.url), { pathname: '/postgres' }).toString() });
      await admin.connect();
      try {
        const sessions = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [
          new URL(database.url).pathname.slice(1),
        ]);
        expect(sessions.rows[0].n).toBe(0);
      } finally {
        await admin.end();
      }
    } finally {
      await database.drop();
    }
  });
});
