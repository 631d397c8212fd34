import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { GraphQLError, ValidationContext, ValidationRule } from 'graphql';

/**
 * Limits every document the router runs must keep, whoever sends it: persisted operations are reviewed, but the
 * same rules guard the day a caller (an admin's explorer) may send its own. Deep nesting and aliased repetition
 * are the cheap ways to make one request cost the graph a thousand.
 */
export const QUERY_LIMITS = { maxDepth: 8, maxAliases: 10 };

// Reported as validation errors (a 400 with GRAPHQL_VALIDATION_FAILED), never thrown out of the validator.
const report = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

export const limitRules = (): ValidationRule[] => [
  maxDepthRule({ n: QUERY_LIMITS.maxDepth, ignoreIntrospection: false, ...report }),
  maxAliasesRule({ n: QUERY_LIMITS.maxAliases, ...report }),
];
