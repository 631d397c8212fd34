import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Kind, type OperationDefinitionNode, parse } from 'graphql';
import type { Document, Operation } from 'openapi-backend';
import { type PersistedOperation, readManifest } from '../../kernel/persisted';
import { OpenAPI31Backend } from '../../rest-facade/src/engine';
import { checkRoutes } from '../../rest-facade/src/routes';
import type { GitBase } from './base';
import { type Finding, messageOf, reporter } from './findings';
import { compareSchemas, type SchemaChange } from './schema-compat';

const { error, warning, info } = reporter('rest');

const OPENAPI = 'contracts/openapi';
const OPERATIONS = 'contracts/operations';
const DOCUMENT = /^([a-z][a-z0-9-]*)\.(v[1-9][0-9]*)$/;
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const PATH_ITEM_FIELDS = new Set([...METHODS, '$ref', 'summary', 'description', 'servers', 'parameters']);
const RESPONSE_CODE = /^(default|[1-5](\d\d|XX))$/;
const ERROR_CODE = /^(default|[45](\d\d|XX))$/;
const PROBLEM_REF = '#/components/schemas/Problem';
/** What the facade's problem handler always sends (rest-facade/src/problem.ts). */
const PROBLEM_REQUIRED = ['type', 'title', 'status', 'code', 'requestId'];
/** Keywords of the OpenAPI 3.1 schema dialect beyond JSON Schema 2020-12. */
const OAS_KEYWORDS = ['discriminator', 'xml', 'externalDocs', 'example'];
/** A document's own fields, so that Ajv compiles schemas inside it without taking the document for a schema. */
const DOCUMENT_FIELDS = [
  'openapi',
  'info',
  'jsonSchemaDialect',
  'servers',
  'paths',
  'webhooks',
  'components',
  'security',
  'tags',
  // The facade's: the API's bodies are passed on as raw bytes (rest-facade/src/engine.ts).
  'x-raw-body',
];

type Json = Record<string, unknown>;
const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The operations of a document as the facade serves them: dereferenced, path-level parameters merged in. With
 * `validate`, loaded as the facade's engine loads it (request validators compiled), so what would stop the facade
 * from starting is found here; a base document is only read.
 */
async function loadOperations(document: Document, validate: boolean): Promise<Operation[]> {
  const api = new OpenAPI31Backend({
    definition: structuredClone(document),
    strict: true,
    validate,
    coerceTypes: true,
    ajvOpts: { allErrors: true },
    customizeAjv: (ajv) => addFormats(ajv),
  });
  await api.init();
  return api.getOperations();
}

/** Dereferenced, a request body is never a reference. */
const requestBodyOf = (op: Operation) => (op.requestBody && 'content' in op.requestBody ? op.requestBody : undefined);

const routeKey = (op: Operation) => `${op.method.toUpperCase()} ${op.path.replace(/\{[^}]+\}/g, '{}')}`;
const routeName = (op: Operation) => `${op.method.toUpperCase()} ${op.path}`;

function resolveRef(document: Json, node: unknown): unknown {
  let current = node;
  for (let hops = 0; isJson(current) && typeof current.$ref === 'string' && hops < 32; hops += 1) {
    const ref: string = current.$ref;
    if (!ref.startsWith('#/')) return undefined;
    current = ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((value, key) => (isJson(value) ? value[key] : undefined), document);
  }
  return current;
}

/** What a tool reading the document needs beyond what the facade's engine checks at start. */
function structureProblems(name: string, version: string, document: Json): string[] {
  const problems: string[] = [];
  if (typeof document.openapi !== 'string' || !/^3\.1\.\d+$/.test(document.openapi)) problems.push('openapi must be 3.1.x');
  const docInfo = document.info;
  if (!isJson(docInfo) || typeof docInfo.title !== 'string' || typeof docInfo.version !== 'string') {
    problems.push('info needs a title and a version');
  }
  const servers = document.servers;
  const mount = Array.isArray(servers) && isJson(servers[0]) ? servers[0].url : undefined;
  if (mount !== `/${name}/${version}`) problems.push(`servers[0].url must be /${name}/${version}, the version beside the others`);
  if (!isJson(document.paths)) return [...problems, 'paths is missing'];

  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith('/')) problems.push(`path ${path} must start with /`);
    if (!isJson(item)) continue;
    for (const [field, operation] of Object.entries(item)) {
      if (!PATH_ITEM_FIELDS.has(field)) problems.push(`${path}: ${field} is not a field of a path item`);
      if (!METHODS.has(field) || !isJson(operation)) continue;
      const where = `${field.toUpperCase()} ${path}`;
      const id = operation.operationId;
      if (typeof id === 'string' && operationIds.has(id)) problems.push(`${where}: operationId ${id} is used twice`);
      if (typeof id === 'string') operationIds.add(id);
      const responses = isJson(operation.responses) ? operation.responses : {};
      if (!Object.keys(responses).length) problems.push(`${where}: no responses`);
      for (const [code, response] of Object.entries(responses)) {
        if (!RESPONSE_CODE.test(code)) problems.push(`${where}: ${code} is not a response status`);
        const resolved = resolveRef(document, response);
        if (!isJson(resolved) || typeof resolved.description !== 'string') {
          problems.push(`${where}: response ${code} does not resolve to a response with a description`);
        } else if (ERROR_CODE.test(code)) {
          problems.push(...problemSchemaProblems(`${where}: response ${code}`, resolved));
        }
      }
    }
  }
  const problem = resolveRef(document, { $ref: PROBLEM_REF });
  const required = isJson(problem) && Array.isArray(problem.required) ? problem.required : [];
  const missing = PROBLEM_REQUIRED.filter((field) => !required.includes(field));
  if (missing.length) problems.push(`${PROBLEM_REF} must require ${missing.join(', ')} (RFC 9457 and what the facade sends)`);
  return problems;
}

/** Errors are RFC 9457 problems: `application/problem+json` of the document's Problem schema, nothing else. */
function problemSchemaProblems(where: string, response: Json): string[] {
  const content = isJson(response.content) ? response.content : {};
  const types = Object.keys(content);
  const media = content['application/problem+json'];
  if (types.length !== 1 || !isJson(media) || !isJson(media.schema) || media.schema.$ref !== PROBLEM_REF) {
    return [`${where} must be application/problem+json with the schema ${PROBLEM_REF} (found ${types.join(', ') || 'no content'})`];
  }
  return [];
}

/** Every schema of the document compiles as JSON Schema 2020-12 (the OpenAPI 3.1 dialect), strict. */
function schemaProblems(document: Json): string[] {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, validateSchema: false });
  addFormats(ajv);
  for (const keyword of [...OAS_KEYWORDS, ...DOCUMENT_FIELDS]) ajv.addKeyword(keyword);
  ajv.addSchema(document, 'openapi');

  const pointers: string[] = [];
  const collect = (node: unknown, pointer: string): void => {
    if (!isJson(node)) return;
    for (const [key, value] of Object.entries(node)) {
      const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key === 'schema' && isJson(value)) pointers.push(at);
      else if (at === '/components/schemas' && isJson(value)) pointers.push(...Object.keys(value).map((name) => `${at}/${name}`));
      else collect(value, at);
    }
  };
  collect({ paths: document.paths, components: document.components }, '');

  const problems: string[] = [];
  for (const pointer of pointers) {
    try {
      ajv.compile({ $ref: `openapi#${pointer}` });
    } catch (thrown) {
      problems.push(`the schema at ${pointer} is not valid JSON Schema 2020-12: ${messageOf(thrown)}`);
    }
  }
  return problems;
}

/** Each `{name}` of a path is a required path parameter, and each path parameter is in the path. */
function pathParameterProblems(operations: Operation[]): string[] {
  const problems: string[] = [];
  for (const operation of operations) {
    const inPath = new Set([...operation.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]));
    const declared = (operation.parameters ?? []).flatMap((p) => ('name' in p && p.in === 'path' ? [p] : []));
    for (const parameter of declared) {
      if (!inPath.has(parameter.name)) problems.push(`${routeName(operation)}: path parameter ${parameter.name} is not in the path`);
      else if (parameter.required !== true) problems.push(`${routeName(operation)}: path parameter ${parameter.name} must be required`);
    }
    for (const name of inPath) {
      if (!declared.some((p) => p.name === name)) problems.push(`${routeName(operation)}: {${name}} is not a declared path parameter`);
    }
  }
  return problems;
}

/** A REST call cannot run its operation unless every required variable comes from something the call must send. */
function coverageProblems(operations: Operation[], persisted: PersistedOperation[]): string[] {
  const byName = new Map(persisted.map((op) => [op.name, op]));
  const problems: string[] = [];
  for (const operation of operations) {
    const op = operation.operationId ? byName.get(operation.operationId) : undefined;
    if (!op) continue;
    let definition: OperationDefinitionNode | undefined;
    try {
      definition = parse(op.body).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    } catch {
      continue;
    }
    const supplied = new Set<string>();
    for (const parameter of operation.parameters ?? []) {
      if ('name' in parameter && (parameter.in === 'path' || (parameter.in === 'query' && parameter.required))) {
        supplied.add(parameter.name);
      }
    }
    const body = requestBodyOf(operation);
    const bodyVariable = (operation as { 'x-graphql-body-variable'?: unknown })['x-graphql-body-variable'];
    if (body?.required && typeof bodyVariable === 'string') supplied.add(bodyVariable);
    // A raw body is always passed on, empty when the call sent none.
    const rawBodyVariable = (operation as { 'x-graphql-raw-body-variable'?: unknown })['x-graphql-raw-body-variable'];
    if (typeof rawBodyVariable === 'string') supplied.add(rawBodyVariable);
    const bodySchema = body?.required ? body.content['application/json']?.schema : undefined;
    if (typeof bodyVariable !== 'string' && isJson(bodySchema) && Array.isArray(bodySchema.required)) {
      for (const field of bodySchema.required) supplied.add(String(field));
    }
    for (const variable of definition?.variableDefinitions ?? []) {
      const name = variable.variable.name.value;
      if (variable.type.kind === Kind.NON_NULL_TYPE && !variable.defaultValue && !supplied.has(name)) {
        problems.push(
          `${routeName(operation)} (${op.name}): the required variable $${name} comes from no path parameter, ` +
            'required query parameter or required body field',
        );
      }
    }
  }
  return problems;
}

const mediaSchema = (holder: unknown) => {
  const content = isJson(holder) && isJson(holder.content) ? holder.content : {};
  const media = content['application/json'];
  return isJson(media) ? media.schema : undefined;
};

const NEW_VERSION = 'make the change in a new version beside this one';

/** A client of the published version sends what it sent before: what the server accepts may only grow. */
function requestChange(where: string, change: SchemaChange): Finding {
  const field = `${where} field ${change.path || '(root)'}`;
  switch (change.kind) {
    case 'removed':
      return change.closed
        ? error(`${field} was removed; requests that send it are now refused; ${NEW_VERSION}`)
        : warning(`${field} was removed; requests that send it are no longer acted on`);
    case 'added':
      return change.required
        ? error(`${field} was added as required; requests without it are now refused; ${NEW_VERSION}`)
        : info(`${field} was added`);
    case 'required':
      return error(`${field} became required; requests without it are now refused; ${NEW_VERSION}`);
    case 'optional':
      return info(`${field} became optional`);
    case 'retyped':
      return change.relation === 'widened'
        ? info(`${field} now accepts ${change.to} (was ${change.from})`)
        : error(`${field} changed from ${change.from} to ${change.to}; requests valid before are now refused; ${NEW_VERSION}`);
  }
}

/** A client of the published version reads what it read before: what the server answers may only grow. */
function responseChange(where: string, change: SchemaChange): Finding {
  const field = `${where} field ${change.path || '(root)'}`;
  switch (change.kind) {
    case 'removed':
      return error(`${field} was removed; clients read it; ${NEW_VERSION}`);
    case 'optional':
      return error(`${field} is no longer always present; clients rely on it; ${NEW_VERSION}`);
    case 'retyped':
      return change.relation === 'narrowed'
        ? info(`${field} narrowed from ${change.from} to ${change.to}`)
        : error(`${field} changed from ${change.from} to ${change.to}; clients read the old type; ${NEW_VERSION}`);
    case 'added':
      return info(`${field} was added`);
    case 'required':
      return info(`${field} is now always present`);
  }
}

/** A published version's routes, parameters, request bodies and success responses against the working tree's. */
function compareVersions(api: string, base: Operation[], next: Operation[]): Finding[] {
  const findings: Finding[] = [];
  const nextByKey = new Map(next.map((op) => [routeKey(op), op]));
  const baseKeys = new Set(base.map(routeKey));
  for (const op of next) if (!baseKeys.has(routeKey(op))) findings.push(info(`${api}: new route ${routeName(op)}`));

  for (const old of base) {
    const now = nextByKey.get(routeKey(old));
    const where = `${api}: ${routeName(old)}`;
    if (!now) {
      findings.push(error(`${where} was removed from the published version; ${NEW_VERSION}`));
      continue;
    }
    const params = (op: Operation) =>
      new Map((op.parameters ?? []).flatMap((p) => ('name' in p && p.in !== 'path' ? [[`${p.in} ${p.name}`, p] as const] : [])));
    const oldParams = params(old);
    for (const [key, parameter] of params(now)) {
      const before = oldParams.get(key);
      if (parameter.required && !before?.required) {
        const what = before ? `the ${key} parameter became required` : `new required ${key} parameter`;
        findings.push(error(`${where}: ${what}; requests without it are refused; ${NEW_VERSION}`));
      }
      if (before)
        findings.push(...compareSchemas(before.schema, parameter.schema).map((c) => requestChange(`${where}: ${key} parameter`, c)));
    }
    for (const key of oldParams.keys()) {
      if (!params(now).has(key)) findings.push(warning(`${where}: the ${key} parameter was removed`));
    }

    const oldBody = requestBodyOf(old);
    const newBody = requestBodyOf(now);
    if (newBody?.required && !oldBody?.required) findings.push(error(`${where}: the request body became required; ${NEW_VERSION}`));
    findings.push(...compareSchemas(mediaSchema(oldBody), mediaSchema(newBody)).map((c) => requestChange(`${where}: request body`, c)));

    for (const [code, response] of Object.entries(old.responses ?? {})) {
      if (!/^2/.test(code)) continue;
      const current = now.responses?.[code];
      if (!current) {
        findings.push(error(`${where}: the ${code} response was removed; ${NEW_VERSION}`));
        continue;
      }
      findings.push(
        ...compareSchemas(mediaSchema(response), mediaSchema(current)).map((c) => responseChange(`${where}: ${code} response`, c)),
      );
    }
  }
  return findings;
}

async function checkDocument(root: string, base: GitBase, file: string): Promise<Finding[]> {
  const name = file.slice(0, -'.json'.length);
  const match = DOCUMENT.exec(name);
  if (!match) return [error(`${OPENAPI}/${file}: documents are named <api>.v<N>.json`)];
  let document: Json;
  try {
    document = JSON.parse(readFileSync(join(root, OPENAPI, file), 'utf8')) as Json;
  } catch (thrown) {
    return [error(`${name}: the document is not JSON: ${messageOf(thrown)}`)];
  }
  const findings = [...structureProblems(match[1], match[2], document), ...schemaProblems(document)].map((p) => error(`${name}: ${p}`));

  let operations: Operation[];
  try {
    operations = await loadOperations(document as unknown as Document, true);
  } catch (thrown) {
    return [...findings, error(`${name}: the facade cannot load the document: ${messageOf(thrown)}`)];
  }
  let persisted: PersistedOperation[];
  try {
    persisted = readManifest(name, join(root, OPERATIONS)).operations;
  } catch (thrown) {
    return [...findings, error(`${name}: no persisted-query manifest of the same name: ${messageOf(thrown)}`)];
  }
  const { problems } = checkRoutes(name, operations, persisted);
  findings.push(
    ...[...problems, ...pathParameterProblems(operations), ...coverageProblems(operations, persisted)].map((p) => error(`${name}: ${p}`)),
  );

  const baseText = base.read(`${OPENAPI}/${file}`);
  if (baseText === undefined) {
    findings.push(info(`${name}: a new API version`));
  } else {
    try {
      findings.push(...compareVersions(name, await loadOperations(JSON.parse(baseText) as Document, false), operations));
    } catch (thrown) {
      findings.push(warning(`${name}: the base document cannot be loaded, not compared: ${messageOf(thrown)}`));
    }
  }
  if (!findings.some((f) => f.severity === 'error')) {
    findings.push(info(`${name}: ${operations.length} routes, each a persisted operation whose variables its request supplies`));
  }
  return findings;
}

/**
 * Every OpenAPI document is a well-formed 3.1 document whose routes run persisted operations of its version and
 * answer errors as problems; a version the base published keeps every route, parameter and response field.
 */
export async function checkRest(root: string, base: GitBase): Promise<Finding[]> {
  const dir = join(root, OPENAPI);
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((file) => file.endsWith('.json'))
        .sort()
    : [];
  const findings: Finding[] = [];
  for (const file of files) findings.push(...(await checkDocument(root, base, file)));
  for (const file of base.list(OPENAPI)) {
    const own = file.slice(OPENAPI.length + 1);
    if (own.endsWith('.json') && !own.includes('/') && !files.includes(own)) {
      findings.push(error(`${own.slice(0, -'.json'.length)}: the published API version was removed; clients still call it`));
    }
  }
  return findings;
}
