import { listen } from '../../kernel/http';
import type { Logger } from '../../kernel/log';
import { createRestFacade, loadApiDocuments } from './app';
import type { RestFacadeConfig } from './config';
import { createRouterClient, type RouterClient } from './router-client';

export interface RunningRestFacade {
  url: string;
  stop(): Promise<void>;
}

export async function startRestFacade(
  config: RestFacadeConfig,
  logger: Logger,
  router: RouterClient = createRouterClient(config.ROUTER_URL, config.ROUTER_TIMEOUT_MS),
): Promise<RunningRestFacade> {
  const facade = await createRestFacade({
    router,
    documents: loadApiDocuments(),
    logger,
    trustedProxies: config.TRUSTED_PROXIES,
    explorerRouterUrl: config.ROUTER_URL,
    // Unset, the documents name the authorization server's paths alone: the facade serves them on its own origin.
    authorizationServer: config.OAUTH_ISSUER,
    authorizationServerUpstream: new URL(config.OAUTH_INTROSPECTION_URL).origin,
    maxInFlight: config.REST_FACADE_MAX_IN_FLIGHT,
  });
  const listening = await listen(facade.app, config.REST_FACADE_PORT, config.REST_FACADE_HOST);
  logger.info({ url: listening.url }, 'rest facade listening');
  return {
    url: listening.url,
    async stop() {
      await listening.close();
      facade.close();
    },
  };
}
