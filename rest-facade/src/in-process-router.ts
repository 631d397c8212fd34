import type { RouterPort } from '../../kernel/router-port';
import { ProblemError } from './problem';
import { forwardedHeaders, type GraphQLResult, type RouterClient } from './router-client';

/**
 * The facade and the router in one process (edge-gtw): the same request the facade would post to the router is
 * handed to the router's core directly, saving a loopback HTTP exchange (two serialisations, two parses and the
 * socket work) on every REST call. Safelist, authentication and identity signing run exactly as over HTTP.
 */
export function createInProcessRouterClient(core: RouterPort): RouterClient {
  return {
    async execute(call) {
      const reply = await core.execute({
        body: {
          operationName: call.operationName,
          variables: call.variables,
          extensions: { persistedQuery: { sha256Hash: call.id }, api: call.api },
        },
        authorization: call.authorization,
        requestId: call.requestId,
        clientIp: call.clientIp,
      });
      try {
        return { ...(JSON.parse(reply.body) as GraphQLResult), headers: forwardedHeaders(reply.headers) };
      } catch (error) {
        throw new ProblemError('BAD_GATEWAY', 'the request could not be completed', { cause: error });
      }
    },
    healthy: () => core.subgraphsHealthy(),
    close() {},
  };
}
