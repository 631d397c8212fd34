import { Client } from 'pg';
import { spawn } from 'node:child_process';
import { portsEnv, PROCESSES, STOP_ORDER } from '../../bin/processes';
import { builtPlatformEntry } from '../support/build';
import { childEnv } from '../support/child-env';
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
        env: childEnv({
          DATABASE_URL: database.url,
          ...portsEnv(0),
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await eventually(
        () => output.includes('The platform is running'),
        45_000,
        () => `start-up; output so far:\n${output}`,
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The whole platform ran under the egress guard (childEnv): nothing it did tried to leave the machine.
      expect(output).not.toContain('EGRESS REFUSED');
      const stopped = [...output.matchAll(/"part":"([^"]+)","step":(\d+),"msg":"stopped"/g)]
        .sort((a, b) => Number(a[2]) - Number(b[2]))
        .map((m) => m[1]);
      // The local stand-in for Google Play (what the payments simulator's purchases are looked up in) outlives
      // every process that may call it.
      expect(stopped).toEqual([...STOP_ORDER, 'local-google-play', 'bus']);
      expect(stopped).toHaveLength(Object.keys(PROCESSES).length + 2);
      // Gateways before anything behind them, and each domain's workers before its subgraph.
      const gateways = stopped.filter((name) => name.endsWith('-gtw'));
      expect(stopped.slice(0, gateways.length)).toEqual(gateways);
      for (const worker of stopped.filter((name) => name.endsWith('-wkr'))) {
        expect(stopped.indexOf(worker)).toBeLessThan(stopped.indexOf(worker.replace(/-[a-z]+-wkr$/, '-store-svc')));
      }
      // A database the operator named gets no accounts with a known password unless asked (`all --demo`).
      expect(output).toContain('demo logins   none');
      const db = new Client({ connectionString: database.url });
      await db.connect();
      try {
        expect((await db.query(`SELECT login FROM "user".account WHERE login LIKE 'demo\\_%'`)).rows).toEqual([]);
      } finally {
        await db.end();
      }
    } finally {
      await database.drop();
    }
  }, 60_000);
});
