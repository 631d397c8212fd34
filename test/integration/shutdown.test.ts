import { spawn } from 'node:child_process';
import { builtPlatformEntry } from '../support/build';
import { createScratchDatabase } from '../support/database';
import { eventually } from '../support/eventually';

/**
 * SIGTERM stops a process in order (servers, then consumers, then connections) and exits 0: what an orchestrator
 * relies on to roll a deployment without dropping work. Run on the whole platform in one process.
 */
describe('shutdown on SIGTERM', () => {
  it('should stop every part in order and exit 0', async () => {
    const entry = builtPlatformEntry();
    const database = await createScratchDatabase();
    try {
      const child = spawn(process.execPath, [entry, 'all'], {
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: database.url,
          USER_STORE_PORT: '0',
          CHNL_STORE_PORT: '0',
          CHNL_PROVISION_HEALTH_PORT: '0',
          CHAT_STORE_PORT: '0',
          CHAT_PROVISION_HEALTH_PORT: '0',
          ROUTER_PORT: '0',
          REST_FACADE_PORT: '0',
          USER_OAUTH_PORT: '0',
          RT_PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await eventually(() => output.includes('The platform is running'), 45_000, () => `start-up; output so far:\n${output}`);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const stopped = [...output.matchAll(/"part":"([^"]+)","step":(\d+),"msg":"stopped"/g)]
        .sort((a, b) => Number(a[2]) - Number(b[2]))
        .map((m) => m[1]);
      expect(stopped).toEqual(['rt-gtw', 'rest-facade-gtw', 'router-gtw', 'chat-provision-wkr', 'chat-store-svc', 'chnl-provision-wkr', 'chnl-store-svc', 'user-store-svc', 'user-oauth-svc', 'bus']);
    } finally {
      await database.drop();
    }
  }, 60_000);
});
