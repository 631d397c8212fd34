import type { JWK } from 'jose';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { isUuid } from '../../../../kernel/ids';
import { PUBLIC_API_RESOURCE, SCOPE_NAMES } from '../../../../kernel/scopes';
import { prismaAdapter } from '../data/oauth-adapter';
import type { PrismaClient } from '../data/prisma/client';
import { devicePages, renderError } from './pages';
import { clientSecretMatches, hashClientSecret, type DeveloperAppsService } from '../services/developer-apps.service';

/**
 * The Public API is one resource server: every access token is issued for it, opaque (so it can be revoked) and
 * carrying the Twitch-style scopes the user consented to.
 */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;

export const OAUTH_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  introspection: '/oauth/introspect',
  revocation: '/oauth/revoke',
  device_authorization: '/oauth/device',
  code_verification: '/activate',
  end_session: '/oauth/logout',
  jwks: '/oauth/jwks',
  userinfo: '/oauth/userinfo',
  pushed_authorization_request: '/oauth/par',
  backchannel_authentication: '/oauth/backchannel',
  challenge: '/oauth/challenge',
} as const;

export const INTERACTION_PATH = '/oauth/interaction';

const originOf = (uri: string) => {
  try {
    return new URL(uri).origin;
  } catch {
    return undefined;
  }
};

export interface ProviderOptions {
  issuer: string;
  cookieKeys: string[];
  signingKey: JWK;
  /** The router's own confidential client, allowed to introspect any token. */
  router: { clientId: string; clientSecret: string };
  prisma: PrismaClient;
  apps: DeveloperAppsService;
}

/**
 * oidc-provider configured for third-party developers: authorization code with PKCE (S256 only, for every
 * client), exact redirect URIs, single-use codes, client credentials, refresh tokens rotated on every use (a
 * replayed one revokes its grant), revocation and introspection behind client authentication, and the device
 * grant. Consent is given by our own interaction endpoints (see interactions.ts), never by the library's dev pages.
 */
export function createProvider(options: ProviderOptions): Provider {
  const { router } = options;
  const configuration: Configuration = {
    adapter: prismaAdapter(
      options.prisma,
      (clientId) => options.apps.clientMetadata(clientId),
      (kind) => new errors.InvalidGrant(`${kind} already used`),
    ),
    clients: [
      {
        client_id: router.clientId,
        client_secret: hashClientSecret(router.clientSecret),
        client_name: 'router-gtw',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // An account that no longer exists can neither consent nor redeem a code it consented with.
    async findAccount(_ctx, sub) {
      // A suspended account is no account to the authorization server: no consent, no code exchange, no refresh.
      const user = isUuid(sub)
        ? await options.prisma.user.findFirst({ where: { id: sub, suspendedAt: null }, select: { id: true } })
        : null;
      return user ? { accountId: user.id, claims: () => ({ sub: user.id }) } : undefined;
    },
    // Whether the user had verified their email when the token was issued, as session tokens say it: introspection
    // answers it, so the router tells the subgraphs (unverified accounts do not chat, through any app).
    async extraTokenClaims(_ctx, token) {
      const accountId = 'accountId' in token ? token.accountId : undefined;
      if (!accountId) return undefined;
      const user = await options.prisma.user.findUnique({ where: { id: accountId }, select: { emailVerifiedAt: true } });
      return { email_verified: Boolean(user?.emailVerifiedAt) };
    },
    cookies: { keys: options.cookieKeys },
    jwks: { keys: [options.signingKey] },
    // Clients do not choose: what the server signs (ID tokens, if an app asks for openid) uses its one key.
    clientDefaults: { id_token_signed_response_alg: (options.signingKey.alg ?? 'ES256') as 'ES256' },
    scopes: [...SCOPE_NAMES],
    responseTypes: ['code'],
    allowOmittingSingleRegisteredRedirectUri: false,
    pkce: { required: () => true, methods: ['S256'] },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    routes: OAUTH_ROUTES,
    renderError,
    // A browser app calls the token endpoint from where it is sent back (the origin of one of its redirect URIs,
    // such as the developer console's callback) and from nowhere else.
    clientBasedCORS: (_ctx, origin, client) => (client.redirectUris ?? []).some((uri) => originOf(uri) === origin),
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL_SECONDS,
      ClientCredentials: ACCESS_TOKEN_TTL_SECONDS,
      AuthorizationCode: 60,
      DeviceCode: 600,
      Interaction: 600,
      Session: 24 * 3600,
      Grant: 90 * 24 * 3600,
      RefreshToken: 90 * 24 * 3600,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true, ...devicePages },
      revocation: { enabled: true },
      introspection: {
        enabled: true,
        // A confidential client may introspect its own tokens; only the router may introspect every client's. A
        // public client proves nothing by naming its client_id, so it may introspect none.
        allowedPolicy: async (_ctx: KoaContextWithOIDC, client, token) =>
          client.clientId === router.clientId || (client.clientAuthMethod !== 'none' && token.clientId === client.clientId),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => PUBLIC_API_RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => {
          if (resource !== PUBLIC_API_RESOURCE) throw new errors.InvalidTarget();
          return {
            scope: SCOPE_NAMES.join(' '),
            audience: PUBLIC_API_RESOURCE,
            accessTokenFormat: 'opaque',
            accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
          };
        },
      },
    },
  };
  const provider = new Provider(options.issuer, configuration);
  // Only a hash of each client secret is stored: a presented secret is hashed and compared in constant time.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    return this.clientSecret !== undefined && clientSecretMatches(this.clientSecret, actual);
  };
  return provider;
}
