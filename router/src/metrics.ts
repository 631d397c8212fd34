import { observeOperation, type OperationOutcome, rateLimitRefusals } from '../../kernel/metrics';
import type { PersistedOperation } from '../../kernel/persisted';
import type { RouterReply } from '../../kernel/router-port';
import { isAdHoc } from './explorer';
import type { RouterCore } from './core';

/**
 * Apollo writes a result's `errors` before its `data`, so an answer that ran with errors starts with them; reading
 * the prefix spares parsing every answer.
 */
const outcomeOf = (reply: RouterReply): OperationOutcome =>
  reply.status >= 400 ? 'refused' : reply.body.startsWith('{"errors"') ? 'error' : 'ok';

/**
 * The router counting what it answers: each operation by its persisted name (never a name the client wrote, which
 * would make a series per string sent), explorer queries as one, and its rate-limit refusals.
 */
export function instrumentRouter(operations: Map<string, PersistedOperation>, core: RouterCore): RouterCore {
  return {
    ...core,
    async execute(request) {
      const started = performance.now();
      const reply = await core.execute(request);
      const explorer = isAdHoc(request.body);
      const hash = request.body.extensions?.persistedQuery?.sha256Hash;
      const operation = explorer ? 'explorer' : (typeof hash === 'string' && operations.get(hash)?.name) || 'unresolved';
      observeOperation(operation, explorer ? 'explorer' : 'persisted', outcomeOf(reply), (performance.now() - started) / 1e3);
      if (reply.status === 429) rateLimitRefusals.inc({ limit: 'public_api' });
      return reply;
    },
  };
}
