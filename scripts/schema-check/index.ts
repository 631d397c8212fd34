import { DEFAULT_DATABASE_URL } from '../../kernel/db/client';
import { GitBase } from './base';
import { checkBoundaries } from './boundaries';
import { composeBase, composeWorkingTree } from './composition';
import { checkEvents } from './events';
import { type Area, AREAS, type Finding } from './findings';
import { checkGraph } from './graph';
import { checkLimits } from './limits';
import { checkOperations } from './operations';
import { checkRest } from './rest';
import { checkStorage } from './storage';

export { AREAS, type Area, type Finding, type Severity } from './findings';

export interface SchemaCheckOptions {
  /** The tree to check: the repository, or a scratch copy of it. */
  root: string;
  /** The git ref whose artefacts are the published contracts; HEAD (the committed artefacts) by default. */
  baseRef?: string;
  /** Where storage replays the migrations on a shadow database; DATABASE_URL, else the local default. */
  databaseUrl?: string;
  /** The areas to check; all by default. */
  areas?: readonly Area[];
}

/**
 * Checks the working tree at `root` against the base: what would break the graph, a persisted operation, a REST
 * route, an input limit, an event contract, the migrations or a domain boundary. Findings come in the order of AREAS.
 */
export async function runSchemaCheck(options: SchemaCheckOptions): Promise<Finding[]> {
  const { root, areas = AREAS } = options;
  const base = GitBase.open(root, options.baseRef ?? 'HEAD');
  const databaseUrl = options.databaseUrl ?? (process.env.DATABASE_URL || DEFAULT_DATABASE_URL);
  const wants = (area: Area) => areas.includes(area);

  const composed = wants('composition') || wants('graph') || wants('operations') ? composeWorkingTree(root) : undefined;
  const checks: Record<Area, () => Finding[] | Promise<Finding[]>> = {
    composition: () => composed?.findings ?? [],
    graph: () => checkGraph(composeBase(base), composed?.apiSchema),
    operations: () => checkOperations(root, base, composed?.apiSchema),
    rest: () => checkRest(root, base),
    limits: () => checkLimits(root),
    events: () => checkEvents(root, base),
    storage: () => checkStorage(root, base, databaseUrl),
    boundaries: () => checkBoundaries(root),
  };
  // The slow areas (a shadow database, a dependency-cruiser process) overlap with the rest.
  const results = await Promise.all(AREAS.filter(wants).map((area) => checks[area]()));
  return results.flat();
}
