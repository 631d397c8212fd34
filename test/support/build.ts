import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fromRoot } from '../../kernel/paths';

/** What `dist/` runs: every folder the build compiles, less the tests, whose changes need no rebuild. */
const SOURCE_FOLDERS = ['bin', 'kernel', 'subgraphs', 'router', 'rest-facade', 'realtime', 'scripts', 'contracts'];
const NOT_RUN = /(\.spec\.ts|\.d\.ts)$/;

function* sources(folder: string): Generator<string> {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') yield* sources(path);
    else if (entry.isFile() && entry.name.endsWith('.ts') && !NOT_RUN.test(entry.name)) yield path;
  }
}

/**
 * Sources whose compiled file in `dist/` is missing or older. Compiled one file at a time (isolatedModules), a
 * file's output depends on that file alone, so comparing each pair says whether the build is current.
 */
export function staleSources(): string[] {
  const root = fromRoot();
  const stale: string[] = [];
  for (const folder of SOURCE_FOLDERS) {
    for (const source of sources(join(root, folder))) {
      const compiled = join(root, 'dist', relative(root, source)).replace(/\.ts$/, '.js');
      if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(source).mtimeMs) stale.push(relative(root, source));
    }
  }
  return stale;
}

/**
 * Rebuilds `dist/` when a source is newer than its compiled file (once, from jest's global setup). Type errors do
 * not stop it: tsc emits anyway, and type-checking is `npm run check`'s job; only a build that leaves a source
 * uncompiled does.
 */
export function ensureBuilt(): void {
  if (staleSources().length === 0) return;
  let output = '';
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', fromRoot()], { stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    output = `${stdout ?? ''}${stderr ?? ''}`;
  }
  const stale = staleSources();
  if (stale.length > 0) throw new Error(`\`tsc -p .\` left ${stale.slice(0, 5).join(', ')} uncompiled:\n${output}`);
}

/** The built CLI, for tests that start processes as production does; refuses a build older than its sources. */
export function builtPlatformEntry(): string {
  const stale = staleSources();
  if (stale.length > 0) {
    throw new Error(`dist/ is older than ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', ...' : ''}: run \`npm run build\``);
  }
  return fromRoot('dist', 'bin', 'platform.js');
}
