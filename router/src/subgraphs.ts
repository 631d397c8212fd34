import type { z } from 'zod';
import { url } from '../../kernel/config';

/**
 * A subgraph the router composes: its name in the supergraph, the variable naming its URL, and where `npm start`
 * runs it. The router knows no domain: the list is the composition root's (bin/processes.ts), which hands it in.
 */
export interface SubgraphRoute {
  name: string;
  urlEnv: string;
  defaultUrl: string;
}

/** Where each subgraph is, by its name in the supergraph. */
export type SubgraphUrls = Record<string, string>;

/**
 * A router config schema extended with one URL field per subgraph. Its type stays the schema's own: the fields are
 * known only at run time, and are read by name (`subgraphUrls`).
 */
export const withSubgraphUrls = <S extends z.ZodObject>(schema: S, routes: readonly SubgraphRoute[]): S =>
  schema.extend(Object.fromEntries(routes.map((route) => [route.urlEnv, url.default(route.defaultUrl)]))) as unknown as S;

export const subgraphUrls = (routes: readonly SubgraphRoute[], config: Record<string, unknown>): SubgraphUrls =>
  Object.fromEntries(routes.map((route) => [route.name, String(config[route.urlEnv])]));
