import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { type GraphQLSchema, parse } from 'graphql';
import { composeSupergraph } from '../compose';
import type { GitBase } from './base';
import { type Finding, messageOf, reporter } from './findings';

const { error, info } = reporter('composition');

const SUPERGRAPH = 'schema/supergraph.graphql';
const SUBGRAPH_SDL = /^subgraphs\/([^/]+)\/schema\.graphql$/;

export interface Composed {
  findings: Finding[];
  /**
   * The API schema clients see (the supergraph without its federation machinery: join directives, @inaccessible
   * elements); undefined when the subgraphs do not compose.
   */
  apiSchema?: GraphQLSchema;
}

/** The supergraph composed offline from the working tree's SDL files, and whether the committed one is current. */
export function composeWorkingTree(root: string): Composed {
  let composed: ReturnType<typeof composeSupergraph>;
  try {
    composed = composeSupergraph(root);
  } catch (thrown) {
    return { findings: [error(`the subgraphs' SDL files cannot be read or parsed: ${messageOf(thrown)}`)] };
  }
  const { sdl, errors, result } = composed;
  if (!sdl || !result.schema) {
    return { findings: errors.map((message) => error(`the supergraph does not compose: ${message}`)) };
  }

  const findings = result.hints.map((hint) => info(`composition hint ${hint.definition.code}: ${hint.message}`));
  const committed = existsSync(join(root, SUPERGRAPH)) ? readFileSync(join(root, SUPERGRAPH), 'utf8') : undefined;
  if (committed !== sdl) {
    findings.push(error(`${SUPERGRAPH} is not what the SDL files compose to: run \`npm run compose\` and commit it`));
  } else {
    findings.push(info(`the supergraph composes from the SDL files and ${SUPERGRAPH} is current`));
  }
  return { findings, apiSchema: result.schema.toAPISchema().toGraphQLJSSchema() };
}

/**
 * The base's API schema, composed from the base's own SDL files (every `subgraphs/<name>/schema.graphql` it has),
 * so a subgraph removed since is still in the comparison. A message instead when the base does not compose.
 */
export function composeBase(base: GitBase): GraphQLSchema | string {
  const files = base.list('subgraphs').filter((file) => SUBGRAPH_SDL.test(file));
  if (!files.length) return 'the base has no subgraph SDL files';
  try {
    const result = composeServices(
      files.map((file) => {
        const name = SUBGRAPH_SDL.exec(file)?.[1] ?? file;
        // The URL is part of the supergraph's routing data, not of the API schema compared here.
        return { name, url: `http://${name}.invalid/graphql`, typeDefs: parse(base.read(file) ?? '') };
      }),
    );
    if (result.errors) return `the base does not compose: ${result.errors.map((e) => e.message).join('; ')}`;
    return result.schema.toAPISchema().toGraphQLJSSchema();
  } catch (thrown) {
    return `the base's SDL files cannot be parsed: ${messageOf(thrown)}`;
  }
}
