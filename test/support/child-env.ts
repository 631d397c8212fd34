import { existsSync } from 'node:fs';
import { fromRoot } from '../../kernel/paths';

/** The compiled egress guard (test/support/egress-guard.preload.ts), built with everything else by `npm run build`. */
const PRELOAD = fromRoot('dist', 'test', 'support', 'egress-guard.preload.js');

/**
 * The environment of a process a test starts: only what the test names (plus PATH), and the egress guard preloaded,
 * so a child that tries to reach past loopback says so on its stderr and fails like the test's own process would.
 */
export function childEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  if (!existsSync(PRELOAD)) throw new Error(`${PRELOAD} is missing: run \`npm run build\` first (npm test does)`);
  return { PATH: process.env.PATH ?? '', ...env, NODE_OPTIONS: `--require ${PRELOAD}` };
}
