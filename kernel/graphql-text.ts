import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { textProblems } from './text';

/**
 * The domain's own guard against strings no column or event can hold (kernel/text.ts): the REST facade refuses
 * them at the edge, and this refuses them at every subgraph, whichever door the request came through (a GraphQL
 * client, the explorer, another facade), before any resolver runs.
 */
export function storableTextPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request }) {
          const fields = textProblems(request.variables ?? {}, 'variables');
          if (fields.length) {
            throw new GraphQLError('the request is invalid', { extensions: { code: 'VALIDATION_FAILED', fields, http: { status: 400 } } });
          }
        },
      };
    },
  };
}
