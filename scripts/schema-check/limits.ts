import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, type DocumentNode } from 'graphql';
import { type Finding, messageOf, reporter } from './findings';

const { error, info } = reporter('limits');

/** The JSON Schema keywords a limit declares; a field it governs must carry each with the same value. */
const BOUNDS = ['minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'pattern'] as const;
const LIMIT_FIELDS = new Set<string>([...BOUNDS, 'items', 'openapi', 'graphql', 'why']);
/** `<api>.<version> <operationId> <in>.<name>`, the name a dotted path into the JSON body for `body`. */
const OPENAPI_FIELD =
  /^([a-z][a-z0-9-]*\.v[1-9][0-9]*) ([A-Za-z][A-Za-z0-9]*) (path|query|header|body)\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)$/;
/** `Type.field`, or `Type.field(argument)`. */
const GRAPHQL_FIELD = /^([A-Za-z_]\w*)\.([A-Za-z_]\w*)(?:\(([A-Za-z_]\w*)\))?$/;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

type Json = Record<string, unknown>;
const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where limits are declared: the kernel's (shared by every domain) and each domain's, beside the domain's SDL. */
function limitFiles(root: string): { file: string; sdl?: string }[] {
  const files: { file: string; sdl?: string }[] = [];
  if (existsSync(join(root, 'kernel/limits.json'))) files.push({ file: 'kernel/limits.json' });
  const subgraphs = join(root, 'subgraphs');
  for (const domain of existsSync(subgraphs) ? readdirSync(subgraphs).sort() : []) {
    const file = `subgraphs/${domain}/limits.json`;
    if (existsSync(join(root, file))) files.push({ file, sdl: `subgraphs/${domain}/schema.graphql` });
  }
  return files;
}

function deref(document: Json, node: unknown): Json | undefined {
  let current = node;
  for (let hops = 0; isJson(current) && typeof current.$ref === 'string' && hops < 32; hops += 1) {
    const ref: string = current.$ref;
    current = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((value, key) => (isJson(value) ? value[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), document);
  }
  return isJson(current) ? current : undefined;
}

/** A property of an object schema, looking into its `allOf`/`oneOf`/`anyOf` members too. */
function propertyOf(document: Json, schema: Json | undefined, name: string): Json | undefined {
  if (!schema) return undefined;
  const own = isJson(schema.properties) ? deref(document, schema.properties[name]) : undefined;
  if (own) return own;
  for (const member of ['allOf', 'oneOf', 'anyOf'].flatMap((k) => (Array.isArray(schema[k]) ? (schema[k] as unknown[]) : []))) {
    const found = propertyOf(document, deref(document, member), name);
    if (found) return found;
  }
  return undefined;
}

/** The schema of the request field a reference names, or why it names none. */
function requestField(root: string, documents: Map<string, Json | string>, reference: string): Json | string {
  const match = OPENAPI_FIELD.exec(reference);
  if (!match) return 'is not "<api>.<version> <operationId> <path|query|header|body>.<field>"';
  const [, api, operationId, location, name] = match as unknown as [string, string, string, string, string];
  let document = documents.get(api);
  if (document === undefined) {
    const file = join(root, 'contracts/openapi', `${api}.json`);
    document = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as Json)
      : `names contracts/openapi/${api}.json, which does not exist`;
    documents.set(api, document);
  }
  if (typeof document === 'string') return document;
  const paths = isJson(document.paths) ? document.paths : {};
  for (const pathItem of Object.values(paths).filter(isJson)) {
    const operation = METHODS.map((method) => pathItem[method]).find((op) => isJson(op) && op.operationId === operationId);
    if (!isJson(operation)) continue;
    let schema: Json | undefined;
    if (location === 'body') {
      const body = deref(document, operation.requestBody);
      const content = isJson(body?.content) ? body.content['application/json'] : undefined;
      schema = name
        .split('.')
        .reduce<Json | undefined>(
          (s, part) => propertyOf(document, s, part),
          isJson(content) ? deref(document, content.schema) : undefined,
        );
    } else {
      const parameters = [pathItem.parameters, operation.parameters].flatMap((list) => (Array.isArray(list) ? list : []));
      const parameter = parameters.map((p) => deref(document, p)).find((p) => p?.in === location && p.name === name);
      schema = deref(document, parameter?.schema);
    }
    return schema ?? `names no ${location} field ${name} of ${api} ${operationId}`;
  }
  return `names the operation ${operationId}, which ${api} does not have`;
}

/** How a field's bounds differ from the limit's, one line per keyword. */
function differences(document: Json | undefined, limit: Json, field: Json, path = ''): string[] {
  const found = BOUNDS.filter((k) => k in limit && field[k] !== limit[k]).map(
    (k) =>
      `${path}${k} is ${field[k] === undefined ? 'unset' : JSON.stringify(field[k])} where the limit declares ${JSON.stringify(limit[k])}`,
  );
  if (isJson(limit.items)) {
    const items = document ? deref(document, field.items) : undefined;
    found.push(
      ...(items
        ? differences(document, limit.items, items, `${path}items.`)
        : [`${path}items is unset where the limit declares its items' bounds`]),
    );
  }
  return found;
}

/** The numbers a limit states, its items' included: what a description may mention. */
const numbersOf = (limit: Json): number[] => [
  ...BOUNDS.map((k) => limit[k]).filter((v): v is number => typeof v === 'number'),
  ...(isJson(limit.items) ? numbersOf(limit.items) : []),
];

function descriptions(sdl: DocumentNode): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  for (const definition of sdl.definitions) {
    if (!('fields' in definition) || !definition.fields || !('name' in definition)) continue;
    for (const field of definition.fields) {
      found.set(`${definition.name.value}.${field.name.value}`, field.description?.value);
      if (field.kind === Kind.FIELD_DEFINITION) {
        for (const arg of field.arguments ?? [])
          found.set(`${definition.name.value}.${field.name.value}(${arg.name.value})`, arg.description?.value);
      }
    }
  }
  return found;
}

/** Why a limit's declaration cannot be read, if it cannot. */
function shapeProblem(limit: unknown): string | undefined {
  if (!isJson(limit)) return 'is not an object';
  const unknown = Object.keys(limit).filter((k) => !LIMIT_FIELDS.has(k));
  if (unknown.length) return `has ${unknown.join(', ')}, which a limit does not (${[...LIMIT_FIELDS].join(', ')})`;
  if (!BOUNDS.some((k) => k in limit) && !isJson(limit.items)) return `declares no bound (${BOUNDS.join(', ')})`;
  for (const k of BOUNDS) {
    if (k in limit && typeof limit[k] !== (k === 'pattern' ? 'string' : 'number'))
      return `has a ${k} that is not a ${k === 'pattern' ? 'string' : 'number'}`;
  }
  for (const list of ['openapi', 'graphql']) {
    if (list in limit && !(Array.isArray(limit[list]) && (limit[list] as unknown[]).every((v) => typeof v === 'string')))
      return `has a ${list} that is not a list of strings`;
  }
  return isJson(limit.items) || !('items' in limit) ? undefined : 'has items that are not an object';
}

/**
 * Every input limit is declared once, in `kernel/limits.json` or its domain's `limits.json`, which the services
 * validate with and which names the request fields of the OpenAPI documents (`openapi`) and the SDL descriptions
 * (`graphql`) that state it too: each such field must carry the limit's bounds, and each such description may
 * mention no number but the limit's, so a limit changed in one place only fails here.
 */
export function checkLimits(root: string): Finding[] {
  const findings: Finding[] = [];
  const documents = new Map<string, Json | string>();
  let limits = 0;
  let fields = 0;
  let stated = 0;
  for (const { file, sdl } of limitFiles(root)) {
    let declared: unknown;
    try {
      declared = JSON.parse(readFileSync(join(root, file), 'utf8'));
    } catch (thrown) {
      findings.push(error(`${file} cannot be read: ${messageOf(thrown)}`));
      continue;
    }
    if (!isJson(declared)) {
      findings.push(error(`${file} must be an object of limits by name`));
      continue;
    }
    let sdlDescriptions: Map<string, string | undefined> | undefined;
    for (const [name, limit] of Object.entries(declared)) {
      const problem = shapeProblem(limit);
      if (problem) {
        findings.push(error(`${file} ${name}: ${problem}`));
        continue;
      }
      const bounds = limit as Json;
      limits += 1;
      for (const reference of (bounds.openapi as string[] | undefined) ?? []) {
        const field = requestField(root, documents, reference);
        if (typeof field === 'string') {
          findings.push(error(`${file} ${name}: "${reference}" ${field}; name a request field the limit governs`));
          continue;
        }
        fields += 1;
        const document = documents.get(reference.split(' ')[0]) as Json;
        for (const difference of differences(document, bounds, field)) {
          findings.push(error(`${file} ${name}: ${reference}: ${difference}; change the limit and the OpenAPI documents together`));
        }
      }
      for (const coordinate of (bounds.graphql as string[] | undefined) ?? []) {
        if (!sdl || !existsSync(join(root, sdl))) {
          findings.push(error(`${file} ${name}: names ${coordinate}, but there is no SDL beside the limits`));
          continue;
        }
        try {
          sdlDescriptions ??= descriptions(parse(readFileSync(join(root, sdl), 'utf8')));
        } catch (thrown) {
          findings.push(error(`${sdl} cannot be parsed: ${messageOf(thrown)}`));
          break;
        }
        if (!GRAPHQL_FIELD.test(coordinate) || !sdlDescriptions.has(coordinate)) {
          findings.push(error(`${file} ${name}: ${sdl} has no field ${coordinate}; name a field as Type.field or Type.field(argument)`));
          continue;
        }
        stated += 1;
        const description = sdlDescriptions.get(coordinate) ?? '';
        const allowed = numbersOf(bounds);
        const numbers = (description.match(/\d+(?:[,_]\d{3})*/g) ?? []).map((n) => Number(n.replace(/[,_]/g, '')));
        const wrong = numbers.filter((n) => !allowed.includes(n));
        if (!numbers.length || wrong.length) {
          findings.push(
            error(
              `${file} ${name}: the description of ${coordinate} in ${sdl} (${JSON.stringify(description)}) ${numbers.length ? `states ${wrong.join(', ')}` : 'states no number'} where the limit declares ${allowed.join(', ')}; say the limit it enforces`,
            ),
          );
        }
      }
    }
  }
  if (!findings.length)
    findings.push(
      info(`${limits} input limits agree with the ${fields} OpenAPI request fields and ${stated} SDL descriptions they govern`),
    );
  return findings;
}
