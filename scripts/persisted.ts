import { readFileSync, writeFileSync } from 'node:fs';
import { buildManifest, manifestPath, operationApis } from '../kernel/persisted';

/** Writes each API version's persisted-query manifest; `--check` fails when a committed one is stale. */
function main(): number {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const api of operationApis()) {
    const text = `${JSON.stringify(buildManifest(api), null, 2)}\n`;
    const path = manifestPath(api);
    if (!check) {
      writeFileSync(path, text);
      console.log(`wrote ${path}`);
      continue;
    }
    let committed = '';
    try {
      committed = readFileSync(path, 'utf8');
    } catch {
      committed = '';
    }
    if (committed !== text) {
      console.error(`${path} is stale: run \`npm run persisted\` and commit it`);
      stale += 1;
    }
  }
  if (check && stale === 0) console.log('persisted-query manifests are current');
  return stale ? 1 : 0;
}

process.exit(main());
