import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSchema,
  type DocumentNode,
  type GraphQLSchema,
  Kind,
  NoDeprecatedCustomRule,
  NoSchemaIntrospectionCustomRule,
  parse,
  validate,
} from 'graphql';
import { type Manifest, type PersistedOperation, readManifest, sha256 } from '../../kernel/persisted';
import { limitRules, QUERY_LIMITS } from '../../router/src/limits';
import type { GitBase } from './base';
import { type Finding, messageOf, reporter } from './findings';

const { error, warning, info } = reporter('operations');

const OPERATIONS = 'contracts/operations';
const MANIFEST = /^(.+)\.manifest\.json$/;
/** APIs served by a gateway of their own rather than the router: their operations run against that gateway's schema. */
const GATEWAY_SCHEMAS: Record<string, string> = { 'realtime.v1': 'realtime/schema.graphql' };

function gatewaySchema(root: string, api: string, file: string): { schema?: GraphQLSchema; findings: Finding[] } {
  try {
    return { schema: buildSchema(readFileSync(join(root, file), 'utf8')), findings: [] };
  } catch (thrown) {
    return { findings: [error(`${api}: ${file} is not a valid schema, its operations are not validated: ${messageOf(thrown)}`)] };
  }
}

/** Problems of one operation's own text: its id, and that it is the one operation its entry says it is. */
function operationProblems(op: PersistedOperation): { document?: DocumentNode; problems: string[] } {
  const problems: string[] = [];
  if (op.id !== sha256(op.body)) problems.push(`its id is not the sha256 of its text (run \`npm run persisted\`)`);
  let document: DocumentNode;
  try {
    document = parse(op.body);
  } catch (thrown) {
    return { problems: [...problems, `its text does not parse: ${messageOf(thrown)}`] };
  }
  const [definition, ...others] = document.definitions;
  if (others.length || definition?.kind !== Kind.OPERATION_DEFINITION) {
    problems.push('its text must hold exactly one operation and no fragments');
  } else if (definition.name?.value !== op.name || definition.operation !== op.type) {
    problems.push(`its text is the ${definition.operation} ${definition.name?.value ?? '(anonymous)'}, not the ${op.type} ${op.name}`);
  }
  return { document, problems };
}

function checkManifest(api: string, manifest: Manifest, apiSchema: GraphQLSchema | undefined): Finding[] {
  if (manifest.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1 || !Array.isArray(manifest.operations)) {
    return [error(`${api}: the manifest is not an apollo-persisted-query-manifest of version 1`)];
  }
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const op of manifest.operations) {
    if (seen.has(op.name)) findings.push(error(`${api} ${op.name}: two operations share this name`));
    seen.add(op.name);
    const { document, problems } = operationProblems(op);
    findings.push(...problems.map((problem) => error(`${api} ${op.name}: ${problem}`)));
    if (!document || !apiSchema) continue;
    for (const invalid of validate(apiSchema, document)) {
      findings.push(error(`${api} ${op.name}: ${invalid.message}`));
    }
    // The router answers introspection for the explorer only; a persisted operation would open it to everyone.
    for (const introspecting of validate(apiSchema, document, [NoSchemaIntrospectionCustomRule])) {
      findings.push(error(`${api} ${op.name}: ${introspecting.message} Persisted operations do not introspect.`));
    }
    // The router refuses a document past its depth and alias limits when it runs: a client holding the id would
    // hold one that never works.
    for (const limited of validate(apiSchema, document, limitRules())) {
      findings.push(
        error(
          `${api} ${op.name}: ${limited.message} The router's limits: depth ${QUERY_LIMITS.maxDepth}, aliases ${QUERY_LIMITS.maxAliases}.`,
        ),
      );
    }
    for (const deprecated of validate(apiSchema, document, [NoDeprecatedCustomRule])) {
      findings.push(warning(`${api} ${op.name}: ${deprecated.message} Move the operation off it before it is removed.`));
    }
  }
  return findings;
}

/** What a client that holds a published manifest's ids loses: removed operations and changed texts. */
function compareWithBase(api: string, manifest: Manifest, baseText: string): Finding[] {
  let baseOps: PersistedOperation[];
  try {
    baseOps = (JSON.parse(baseText) as Manifest).operations;
  } catch (thrown) {
    return [warning(`${api}: the base manifest is not JSON, not compared: ${messageOf(thrown)}`)];
  }
  const byName = new Map(manifest.operations.map((op) => [op.name, op]));
  const findings: Finding[] = [];
  for (const old of baseOps) {
    const now = byName.get(old.name);
    if (!now) {
      findings.push(warning(`${api} ${old.name}: removed; a client that still sends its id ${old.id.slice(0, 12)}… is refused`));
    } else if (now.id !== old.id) {
      findings.push(warning(`${api} ${old.name}: its text changed, so its id did; a client that sends the old id is refused`));
    }
  }
  return findings;
}

/**
 * Every operation of every manifest validates against the working tree's API schema, has the sha256 of its text
 * as id and a name no other operation of its manifest has; operations a published manifest had are still there.
 */
export function checkOperations(root: string, base: GitBase, apiSchema: GraphQLSchema | undefined): Finding[] {
  const dir = join(root, OPERATIONS);
  const apis = readdirSync(dir)
    .map((file) => MANIFEST.exec(file)?.[1])
    .filter((api): api is string => api !== undefined)
    .sort();
  const findings: Finding[] = [];
  if (!apiSchema) findings.push(info('operations not validated: the working tree does not compose'));

  for (const api of apis) {
    let manifest: Manifest;
    try {
      manifest = readManifest(api, dir);
    } catch (thrown) {
      findings.push(error(`${api}: the manifest cannot be read: ${messageOf(thrown)}`));
      continue;
    }
    const gateway = GATEWAY_SCHEMAS[api] ? gatewaySchema(root, api, GATEWAY_SCHEMAS[api]) : undefined;
    const schema = gateway ? gateway.schema : apiSchema;
    findings.push(...(gateway?.findings ?? []));
    const problems = checkManifest(api, manifest, schema);
    findings.push(...problems);
    const baseText = base.read(`${OPERATIONS}/${api}.manifest.json`);
    if (baseText === undefined) {
      findings.push(info(`${api}: a new manifest`));
    } else if (Array.isArray(manifest.operations)) {
      findings.push(...compareWithBase(api, manifest, baseText));
    }
    if (schema && !problems.some((f) => f.severity === 'error')) {
      findings.push(
        info(`${api}: all ${manifest.operations.length} operations validate against ${GATEWAY_SCHEMAS[api] ?? 'the API schema'}`),
      );
    }
  }
  for (const file of base.list(OPERATIONS)) {
    const api = MANIFEST.exec(file.slice(OPERATIONS.length + 1))?.[1];
    if (api && !apis.includes(api)) {
      findings.push(error(`${api}: the published manifest was removed; clients that hold its ids are refused`));
    }
  }
  return findings;
}
