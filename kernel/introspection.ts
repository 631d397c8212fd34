/**
 * OAuth access tokens are opaque: the authorization server alone knows them. The router asks its introspection
 * endpoint (RFC 7662) as a confidential client of its own, and remembers each answer for at most `cacheMs` so a
 * burst of calls with one token costs one round trip, while a revoked token stops working within that time.
 */
export interface IntrospectedToken {
  userId?: string;
  /** Whether the user had verified their email address when the token was issued (the server's `email_verified`). */
  emailVerified?: boolean;
  clientId: string;
  scopes: string[];
  /** When the token expires (epoch milliseconds), if the authorization server said. */
  expiresAt?: number;
}

export interface IntrospectionOptions {
  url: string;
  clientId: string;
  clientSecret: string;
  cacheMs: number;
  timeoutMs: number;
  /** The resource server the token must have been issued for. */
  audience: string;
}

const MAX_CACHED = 10_000;
/** What oidc-provider issues: base64url, no dots, so a session JWT is never sent to the authorization server. */
const OPAQUE_TOKEN = /^[A-Za-z0-9_-]{20,256}$/;

interface Cached {
  at: number;
  token: IntrospectedToken | null;
}

export class IntrospectionUnavailable extends Error {}

export function createIntrospection(options: IntrospectionOptions) {
  const cache = new Map<string, Cached>();
  const authorization = `Basic ${Buffer.from(
    `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`,
  ).toString('base64')}`;

  async function ask(token: string): Promise<IntrospectedToken | null> {
    let response: Response;
    try {
      response = await fetch(options.url, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new IntrospectionUnavailable('the authorization server did not answer', { cause: error });
    }
    if (!response.ok) throw new IntrospectionUnavailable(`the authorization server answered ${response.status}`);
    const body = (await response.json()) as Record<string, unknown>;
    // A refresh token is active too, but is no access token (it has no token_type).
    if (body.active !== true || body.token_type !== 'Bearer' || typeof body.client_id !== 'string') return null;
    const audiences = Array.isArray(body.aud) ? body.aud : [body.aud];
    if (!audiences.includes(options.audience)) return null;
    return {
      clientId: body.client_id,
      userId: typeof body.sub === 'string' ? body.sub : undefined,
      ...(typeof body.sub === 'string' ? { emailVerified: body.email_verified === true } : {}),
      scopes: typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : [],
      ...(typeof body.exp === 'number' ? { expiresAt: body.exp * 1000 } : {}),
    };
  }

  return {
    async verify(token: string): Promise<IntrospectedToken | null> {
      if (!OPAQUE_TOKEN.test(token)) return null;
      const now = Date.now();
      const cached = cache.get(token);
      if (cached && now - cached.at < options.cacheMs) return cached.token;
      const answer = await ask(token);
      cache.delete(token);
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
      cache.set(token, { at: now, token: answer });
      return answer;
    },
  };
}

export type Introspection = ReturnType<typeof createIntrospection>;
