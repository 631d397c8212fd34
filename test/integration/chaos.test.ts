import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fromRoot } from '../../kernel/paths';
import { childEnv } from '../support/child-env';

/**
 * The fault battery's short seeded form (test/chaos/run.ts, `npm run chaos` for the full one): every case against
 * a PostgreSQL, a Redis and a Kafka broker of its own, the processes alone, from the build.
 */
const entry = fromRoot('dist', 'test', 'chaos', 'run.js');
const LIMIT_MS = 12 * 60_000;

interface Outcome {
  name: string;
  lost: number;
  duplicated: number;
  errors: number;
  notes: string[];
}

describe('fault battery (short form)', () => {
  it(
    'should lose nothing, apply nothing twice and answer no 500 under every fault',
    async () => {
      if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does)`);
      const child = spawn(process.execPath, [entry], {
        env: childEnv({ HOME: process.env.HOME, CHAOS_SHORT: '1', CHAOS_SEED: process.env.CHAOS_SEED ?? '17' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      const result = output.split('\n').find((line) => line.startsWith('CHAOS_RESULT '));
      if (code !== 0 || !result) throw new Error(`the battery exited ${code}:\n${output}`);
      // The battery's own report, table included, for the CI log.
      console.log(output.replace(/^CHAOS_RESULT .*$/m, '').trim());
      const outcomes = JSON.parse(result.slice('CHAOS_RESULT '.length)) as Outcome[];
      expect(outcomes.map((o) => o.name)).toEqual([
        'broker and worker faults',
        'poison messages',
        'PostgreSQL outage',
        'Redis outage',
        'rt-gtw killed under its viewers',
      ]);
      for (const outcome of outcomes) {
        expect({ name: outcome.name, lost: outcome.lost, duplicated: outcome.duplicated, errors: outcome.errors }).toEqual({
          name: outcome.name,
          lost: 0,
          duplicated: 0,
          errors: 0,
        });
      }
    },
    LIMIT_MS,
  );
});
