import { readFileSync, writeFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { fromRoot } from '../kernel/paths';
import { SUBGRAPHS } from '../router/src/subgraphs';

/**
 * Composes the supergraph offline from the subgraphs' SDL files. `--check` fails when the committed
 * `schema/supergraph.graphql` differs from what the SDL files compose to.
 */
export const SUPERGRAPH_PATH = fromRoot('schema', 'supergraph.graphql');

export function composeSupergraph(): { sdl?: string; errors: string[] } {
  const result = composeServices(
    SUBGRAPHS.map((s) => ({
      name: s.name,
      url: s.defaultUrl,
      typeDefs: parse(readFileSync(fromRoot('subgraphs', s.name, 'schema.graphql'), 'utf8')),
    })),
  );
  if (result.errors) return { errors: result.errors.map((e) => e.message) };
  return { sdl: `${result.supergraphSdl.trim()}\n`, errors: [] };
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
