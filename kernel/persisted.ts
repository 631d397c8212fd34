import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { fromRoot } from './paths';

/**
 * Persisted operations: one folder of `.graphql` files per API version under `contracts/operations/`, compiled
 * into a manifest in Apollo's persisted-query manifest format (id = sha256 of the body). The router executes
 * only what a manifest holds; the REST facade calls operations by the name that is also the route's operationId.
 */
export interface PersistedOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export interface Manifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: PersistedOperation[];
}

export const OPERATIONS_DIR = fromRoot('contracts', 'operations');

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** `dir` is another copy's operations folder (a schema check of a scratch tree); the repository's by default. */
export const manifestPath = (api: string, dir: string = OPERATIONS_DIR) => join(dir, `${api}.manifest.json`);

/** APIs that have an operations folder, e.g. `private.v1`. */
export function operationApis(): string[] {
  return readdirSync(OPERATIONS_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

export function buildManifest(api: string, operationsDir: string = OPERATIONS_DIR): Manifest {
  const dir = join(operationsDir, api);
  const operations = readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const body = readFileSync(join(dir, file), 'utf8').trim();
      const definitions = parse(body).definitions;
      const ops = definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      if (ops.length !== 1 || definitions.length !== 1) throw new Error(`${api}/${file}: exactly one operation and no fragments`);
      const name = ops[0].name?.value;
      if (`${name}.graphql` !== file) throw new Error(`${api}/${file}: the operation must be named after its file`);
      return { id: sha256(body), name, type: ops[0].operation, body };
    });
  return { format: 'apollo-persisted-query-manifest', version: 1, operations } as Manifest;
}

export function readManifest(api: string, dir: string = OPERATIONS_DIR): Manifest {
  return JSON.parse(readFileSync(manifestPath(api, dir), 'utf8')) as Manifest;
}

/** Every committed manifest's operations, by id, with every API whose manifest holds it (the same text has one id). */
export function loadPersistedOperations(): Map<string, PersistedOperation & { apis: string[] }> {
  const byId = new Map<string, PersistedOperation & { apis: string[] }>();
  for (const api of operationApis()) {
    for (const op of readManifest(api).operations) {
      const known = byId.get(op.id);
      if (known) known.apis.push(api);
      else byId.set(op.id, { ...op, apis: [api] });
    }
  }
  return byId;
}
