import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema, isObjectType } from 'graphql';

/**
 * The `@dateTime` fields of a subgraph's SDL are instants: their resolvers (the default one included) return a Date,
 * sent as an ISO 8601 string. A DateTime scalar would change the fields' published type from String, which the
 * graph check rightly calls breaking for clients typed from the schema; the directive keeps the wire and the
 * published type as they were and leaves formatting to one place.
 */
export const DATE_TIME_DIRECTIVE = 'dateTime';

function formatInstant(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  throw new TypeError(`a @${DATE_TIME_DIRECTIVE} field resolved to ${typeof value}, not a Date`);
}

const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | null)?.then === 'function';

/** Wraps the resolver of every `@dateTime` field of `schema` (in place) so that it answers the ISO string. */
export function formatDateTimeFields(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!field.astNode?.directives?.some((directive) => directive.name.value === DATE_TIME_DIRECTIVE)) continue;
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        const value = resolve(source, args, context, info);
        return isThenable(value) ? value.then(formatInstant) : formatInstant(value);
      };
    }
  }
  return schema;
}
