import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CompositionResult, composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { fromRoot, repoRoot } from '../kernel/paths';
import { SUBGRAPHS } from '../bin/processes';

/**
 * Composes the supergraph offline from the subgraphs' SDL files. `--check` fails when the committed
 * `schema/supergraph.graphql` differs from what the SDL files compose to.
 */
export const SUPERGRAPH_PATH = fromRoot('schema', 'supergraph.graphql');

/**
 * `root` is the tree whose SDL files are composed (the schema check composes scratch copies too); `result` keeps
 * what composition built, the supergraph schema and hints included.
 */
export function composeSupergraph(root: string = repoRoot): { sdl?: string; errors: string[]; result: CompositionResult } {
  const result = composeServices(
    SUBGRAPHS.map((s) => ({
      name: s.name,
      url: s.defaultUrl,
      typeDefs: parse(readFileSync(join(root, 'subgraphs', s.name, 'schema.graphql'), 'utf8')),
    })),
  );
  if (result.errors) return { errors: result.errors.map((e) => e.message), result };
  return { sdl: `${result.supergraphSdl.trim()}\n`, errors: [], result };
}

function main(): number {
  const { sdl, errors } = composeSupergraph();
  if (!sdl) {
    for (const e of errors) console.error(`composition error: ${e}`);
    return 1;
  }
  if (process.argv.includes('--check')) {
    const committed = readFileSync(SUPERGRAPH_PATH, 'utf8');
    if (committed !== sdl) {
      console.error('schema/supergraph.graphql is stale: run `npm run compose` and commit it');
      return 1;
    }
    console.log('supergraph composes and is current');
    return 0;
  }
  writeFileSync(SUPERGRAPH_PATH, sdl);
  console.log(`wrote ${SUPERGRAPH_PATH}`);
  return 0;
}

if (require.main === module) process.exit(main());
