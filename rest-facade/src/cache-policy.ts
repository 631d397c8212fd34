import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ConstDirectiveNode,
  type DocumentNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  type TypeNode,
} from 'graphql';
import { fromRoot } from '../../kernel/paths';

/** How long, and by whom, an answer may be reused: Apollo's cache policy. */
export interface CachePolicy {
  /** Seconds; 0 is not cached at all. */
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
}

interface Hint {
  maxAge?: number;
  scope?: 'PUBLIC' | 'PRIVATE';
  inheritMaxAge?: boolean;
}

/** The `@cacheControl` hints of every subgraph, with what a walk of an operation needs of their types. */
export interface CacheHints {
  /** `Type.field` → its named return type and its own hint. */
  fields: Map<string, { type: string; hint: Hint }>;
  /** Object, interface and union hints, merged over the subgraphs that define or extend the type. */
  types: Map<string, Hint>;
  /** Types whose fields have fields of their own (objects, interfaces, unions), with their possible object types. */
  composite: Map<string, Set<string>>;
}

const CACHE_CONTROL = 'cacheControl';

function hintOf(directives: readonly ConstDirectiveNode[] | undefined): Hint {
  const directive = directives?.find((d) => d.name.value === CACHE_CONTROL);
  const hint: Hint = {};
  for (const argument of directive?.arguments ?? []) {
    const { value } = argument;
    if (argument.name.value === 'maxAge' && value.kind === Kind.INT) hint.maxAge = Number(value.value);
    if (argument.name.value === 'scope' && value.kind === Kind.ENUM) hint.scope = value.value === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC';
    if (argument.name.value === 'inheritMaxAge' && value.kind === Kind.BOOLEAN) hint.inheritMaxAge = value.value;
  }
  return hint;
}

/** Two subgraphs hinting one type: the stricter wins, so no subgraph's data is kept longer than it allows. */
function stricter(a: Hint | undefined, b: Hint): Hint {
  if (!a) return b;
  const ages = [a.maxAge, b.maxAge].filter((age): age is number => age !== undefined);
  return {
    ...(ages.length ? { maxAge: Math.min(...ages) } : {}),
    ...(a.scope === 'PRIVATE' || b.scope === 'PRIVATE' ? { scope: 'PRIVATE' } : a.scope || b.scope ? { scope: 'PUBLIC' } : {}),
    ...(a.inheritMaxAge || b.inheritMaxAge ? { inheritMaxAge: true } : {}),
  };
}

const namedType = (type: TypeNode): string => (type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type));

/** Reads the hints from subgraph SDL documents (each subgraph describes its own fields of a shared entity). */
export function readCacheHints(sdls: DocumentNode[]): CacheHints {
  const hints: CacheHints = { fields: new Map(), types: new Map(), composite: new Map() };
  const possible = (type: string) => {
    const known = hints.composite.get(type) ?? new Set<string>();
    hints.composite.set(type, known);
    return known;
  };
  for (const sdl of sdls) {
    for (const definition of sdl.definitions) {
      switch (definition.kind) {
        case Kind.OBJECT_TYPE_DEFINITION:
        case Kind.OBJECT_TYPE_EXTENSION:
        case Kind.INTERFACE_TYPE_DEFINITION:
        case Kind.INTERFACE_TYPE_EXTENSION: {
          const type = definition.name.value;
          const isObject = definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION;
          if (isObject) possible(type).add(type);
          else possible(type);
          for (const implemented of definition.interfaces ?? []) possible(implemented.name.value).add(type);
          hints.types.set(type, stricter(hints.types.get(type), hintOf(definition.directives)));
          for (const field of definition.fields ?? []) {
            const key = `${type}.${field.name.value}`;
            const hint = stricter(hints.fields.get(key)?.hint, hintOf(field.directives));
            hints.fields.set(key, { type: namedType(field.type), hint });
          }
          break;
        }
        case Kind.UNION_TYPE_DEFINITION:
        case Kind.UNION_TYPE_EXTENSION: {
          const type = definition.name.value;
          for (const member of definition.types ?? []) possible(type).add(member.name.value);
          hints.types.set(type, stricter(hints.types.get(type), hintOf(definition.directives)));
          break;
        }
      }
    }
  }
  return hints;
}

/** Every subgraph's SDL in this tree (`subgraphs/<name>/schema.graphql`). */
export function loadCacheHints(root: string = fromRoot('subgraphs')): CacheHints {
  const sdls = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, entry.name, 'schema.graphql'))
    .flatMap((file) => {
      try {
        return [parse(readFileSync(file, 'utf8'))];
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    });
  return readCacheHints(sdls);
}

const ROOT_TYPES = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' } as const;

/**
 * The policy of an operation's answers, computed as Apollo Server computes it at run time but once per operation,
 * from the hints alone (the subgraphs set no dynamic hints): the lowest maxAge of every field in the answer, and
 * PRIVATE if any field or type says so. A root field, or a field returning an object, without a hint of its own or
 * of its type is not cacheable (maxAge 0) unless it says `inheritMaxAge`; a scalar field takes its parent's.
 */
export function cachePolicyOf(document: DocumentNode, hints: CacheHints): CachePolicy {
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error('the document holds no operation');
  const policy: CachePolicy = { maxAge: Number.POSITIVE_INFINITY, scope: 'PUBLIC' };
  const restrict = (hint: Hint) => {
    if (hint.maxAge !== undefined) policy.maxAge = Math.min(policy.maxAge, hint.maxAge);
    if (hint.scope === 'PRIVATE') policy.scope = 'PRIVATE';
  };
  const typeHint = (type: string): Hint => {
    // An abstract type's answer is one of its object types: each may be the one, so each one's hint counts.
    let hint: Hint = hints.types.get(type) ?? {};
    for (const object of hints.composite.get(type) ?? []) if (object !== type) hint = stricter(hint, hints.types.get(object) ?? {});
    return hint;
  };

  const walk = (selections: SelectionSetNode, parent: string, isRoot: boolean) => {
    for (const selection of selections.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) throw new Error('persisted operations hold no fragments');
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, selection.typeCondition?.name.value ?? parent, isRoot);
        continue;
      }
      if (selection.name.value === '__typename') continue;
      const field = hints.fields.get(`${parent}.${selection.name.value}`);
      if (!field) throw new Error(`${parent}.${selection.name.value} is not a field of any subgraph`);
      const composite = hints.composite.has(field.type);
      const own = field.hint;
      const ofType = composite ? typeHint(field.type) : {};
      const inherits = !isRoot && (own.inheritMaxAge || (own.maxAge === undefined && ofType.maxAge === undefined && ofType.inheritMaxAge));
      let maxAge = own.maxAge ?? ofType.maxAge;
      if (maxAge === undefined && !inherits && (composite || isRoot)) maxAge = 0;
      restrict({ maxAge, scope: own.scope === 'PRIVATE' || ofType.scope === 'PRIVATE' ? 'PRIVATE' : undefined });
      if (selection.selectionSet) walk(selection.selectionSet, field.type, false);
    }
  };
  walk(operation.selectionSet, ROOT_TYPES[operation.operation], true);
  return { maxAge: Number.isFinite(policy.maxAge) ? policy.maxAge : 0, scope: policy.scope };
}
