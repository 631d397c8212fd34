/**
 * The differences between two versions of a JSON Schema that matter to compatibility: object properties removed,
 * added, made required or optional, and values retyped. REST bodies and event payloads read them differently (a
 * reader breaks on a removed field, a writer on a new required one), so each check decides what is breaking.
 * `oneOf`, `anyOf` and `allOf` are not walked: the contracts here do not use them.
 */
export type Relation = 'narrowed' | 'widened' | 'changed';

export type SchemaChange =
  | { kind: 'removed'; path: string; closed: boolean }
  | { kind: 'added'; path: string; required: boolean }
  | { kind: 'required'; path: string }
  | { kind: 'optional'; path: string }
  | { kind: 'retyped'; path: string; relation: Relation; from: string; to: string };

type Schema = Record<string, unknown>;

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

interface Shape {
  /** undefined: any value is allowed. */
  types?: string[];
  values?: string[];
  format?: string;
}

function shapeOf(schema: Schema): Shape {
  const type = schema.type;
  const values = 'const' in schema ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : undefined;
  return {
    types: typeof type === 'string' ? [type] : Array.isArray(type) ? type.map(String).sort() : undefined,
    values: values?.map((value) => JSON.stringify(value)).sort(),
    format: typeof schema.format === 'string' ? schema.format : undefined,
  };
}

const within = (part: string[] | undefined, whole: string[] | undefined) =>
  whole === undefined || (part?.every((item) => whole.includes(item)) ?? false);

const sameList = (a: string[] | undefined, b: string[] | undefined) => within(a, b) && within(b, a);

function describe(shape: Shape): string {
  const parts = [shape.types?.join('|') ?? 'any'];
  if (shape.values) parts.push(`one of ${shape.values.join(', ')}`);
  if (shape.format) parts.push(`format ${shape.format}`);
  return parts.join(', ');
}

function relation(base: Shape, next: Shape): Relation | undefined {
  if (sameList(base.types, next.types) && sameList(base.values, next.values) && base.format === next.format) return undefined;
  const formatNarrowed = base.format === undefined || base.format === next.format;
  const formatWidened = next.format === undefined || base.format === next.format;
  if (within(next.types, base.types) && within(next.values, base.values) && formatNarrowed) return 'narrowed';
  if (within(base.types, next.types) && within(base.values, next.values) && formatWidened) return 'widened';
  return 'changed';
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function walk(base: Schema, next: Schema, path: string, onPath: Set<Schema>, changes: SchemaChange[]): void {
  // Dereferenced documents can be cyclic (a type that contains itself); each cycle is compared once.
  if (onPath.has(base)) return;
  const inner = new Set(onPath).add(base);

  const baseShape = shapeOf(base);
  const nextShape = shapeOf(next);
  const retyped = relation(baseShape, nextShape);
  if (retyped) changes.push({ kind: 'retyped', path, relation: retyped, from: describe(baseShape), to: describe(nextShape) });

  const baseProps = isSchema(base.properties) ? base.properties : {};
  const nextProps = isSchema(next.properties) ? next.properties : {};
  const baseRequired = new Set(Array.isArray(base.required) ? base.required : []);
  const nextRequired = new Set(Array.isArray(next.required) ? next.required : []);
  for (const [key, baseProp] of Object.entries(baseProps)) {
    const where = join(path, key);
    const nextProp = nextProps[key];
    if (nextProp === undefined) {
      changes.push({ kind: 'removed', path: where, closed: next.additionalProperties === false });
      continue;
    }
    if (baseRequired.has(key) && !nextRequired.has(key)) changes.push({ kind: 'optional', path: where });
    if (!baseRequired.has(key) && nextRequired.has(key)) changes.push({ kind: 'required', path: where });
    if (isSchema(baseProp) && isSchema(nextProp)) walk(baseProp, nextProp, where, inner, changes);
  }
  for (const key of Object.keys(nextProps)) {
    if (!(key in baseProps)) changes.push({ kind: 'added', path: join(path, key), required: nextRequired.has(key) });
  }
  if (isSchema(base.items) && isSchema(next.items)) walk(base.items, next.items, `${path}[]`, inner, changes);
}

export function compareSchemas(base: unknown, next: unknown): SchemaChange[] {
  const changes: SchemaChange[] = [];
  if (isSchema(base) && isSchema(next)) walk(base, next, '', new Set(), changes);
  return changes;
}
