import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { FACES_CSS_FILE } from '../../../../kernel/faces';
import { createHttpApp, listen } from '../../../../kernel/http';
import type { Logger } from '../../../../kernel/log';
import { fromRoot } from '../../../../kernel/paths';
import type { UserOAuthConfig } from '../config';
import { connectUserDb } from '../data/db';
import { deleteExpiredOAuthRecords } from '../data/oauth-adapter';
import { DeveloperAppsService } from '../services/developer-apps.service';
import { interactionRoutes } from './interactions';
import { OAUTH_ASSETS } from './pages';
import { createProvider, INTERACTION_PATH } from './provider';

const SWEEP_EVERY_MS = 10 * 60 * 1000;
const SWEEP_GRACE_SECONDS = 24 * 3600;

async function signingKey(configured: Record<string, unknown> | undefined): Promise<JWK> {
  if (configured) return configured as unknown as JWK;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: randomBytes(8).toString('hex') };
}

/**
 * user-oauth-svc: the OAuth 2.0 authorization server of the Public API (oidc-provider), in the user domain because
 * accounts and developer apps are the user domain's; its state lives in the user schema.
 */
export async function startUserOAuthSvc(config: UserOAuthConfig, logger: Logger) {
  const db = connectUserDb(config.DATABASE_URL, 10, logger);
  const apps = new DeveloperAppsService(db.prisma);
  const app = createHttpApp(logger, { database: () => db.pool.query('SELECT 1').then(() => true) });
  // The issuer defaults to the URL the server listens on, known once it listens; until the routes are mounted
  // below (a few milliseconds), only the health checks answer.
  const listening = await listen(app, config.USER_OAUTH_PORT);
  const issuer = config.OAUTH_ISSUER ?? listening.url;
  const provider = createProvider({
    issuer,
    cookieKeys: config.OAUTH_COOKIE_KEYS ?? [randomBytes(32).toString('base64url')],
    signingKey: await signingKey(config.OAUTH_SIGNING_JWK),
    router: { clientId: config.OAUTH_ROUTER_CLIENT_ID, clientSecret: config.OAUTH_ROUTER_CLIENT_SECRET },
    prisma: db.prisma,
    apps,
  });
  provider.on('server_error', (_ctx, error) => logger.error({ err: error }, 'authorization server error'));
  // Every URL the server writes (discovery, redirects, cookies' security) is its issuer's, however the request
  // reached it: directly, or through the facade that serves it on the public origin. A client's own
  // X-Forwarded-Host never picks it.
  const publicOrigin = new URL(issuer);
  provider.proxy = true;
  app.use((req, _res, next) => {
    req.headers['x-forwarded-host'] = publicOrigin.host;
    req.headers['x-forwarded-proto'] = publicOrigin.protocol.slice(0, -1);
    next();
  });

  app.get(`${OAUTH_ASSETS}/faces.css`, (_req, res) => {
    res.setHeader('cache-control', 'public, max-age=300');
    res.sendFile(FACES_CSS_FILE);
  });
  app.get(`${OAUTH_ASSETS}/consent.js`, (_req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.sendFile('consent.js', { root: fromRoot('subgraphs', 'user', 'src', 'oauth', 'pages') });
  });
  app.use(INTERACTION_PATH, interactionRoutes(provider, config.ACCESS_TOKEN_PUBLIC_KEYS));
  // RFC 8414 metadata: the same document the provider serves for OpenID discovery.
  app.get('/.well-known/oauth-authorization-server', (req, _res, next) => {
    req.url = '/.well-known/openid-configuration';
    next();
  });
  app.use(provider.callback());
  logger.info({ url: listening.url, issuer }, 'authorization server listening');

  // Every instance sweeps; deleting what another instance already deleted costs nothing.
  const sweep = setInterval(() => {
    deleteExpiredOAuthRecords(db.prisma, SWEEP_GRACE_SECONDS).catch((error) =>
      logger.warn({ err: error }, 'sweeping expired OAuth records failed'),
    );
  }, SWEEP_EVERY_MS);
  sweep.unref();
  return {
    url: listening.url,
    stop: async () => {
      clearInterval(sweep);
      await listening.close();
      await db.close();
    },
  };
}
