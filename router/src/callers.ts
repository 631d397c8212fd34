import type { Identity } from '../../kernel/identity';
import { verifyAccessToken, verifyServiceToken, verifyStaffToken } from '../../kernel/identity';
import type { Introspection } from '../../kernel/introspection';
import type { VerificationKeys } from '../../kernel/keys';
import { verifiedTokens } from '../../kernel/verified-tokens';

type WithoutCall<T> = T extends unknown ? Omit<T, 'requestId' | 'ip'> : never;

/** A caller whose token the router has verified, as the signed identity will carry it (less the request's own facts). */
export type VerifiedCaller = WithoutCall<Identity>;

/**
 * `issuedAt` (epoch ms) of a signed token, which the router honours without asking anyone: a suspension after it
 * revokes it (see revocations.ts). Opaque OAuth tokens have none: the authorization server forgets them instead.
 */
export type Verification =
  | { ok: true; caller: VerifiedCaller; issuedAt?: number /** A signed token's `exp`, epoch ms. */; expiresAt?: number }
  | { ok: false; reason: 'expired' | 'invalid' };

export type TokenVerifier = (token: string) => Promise<Verification>;

/** Who may call an API's persisted operations: anonymous callers or not, and the one kind of token it takes. */
export interface ApiAccess {
  anonymous: boolean;
  verify: TokenVerifier;
}

/** How many verified session and staff tokens the router keeps: one per signed-in caller, for the token's life. */
export const VERIFIED_TOKENS_KEPT = 10_000;

interface Remembering {
  kept?: number;
  now?: () => number;
}

/**
 * A verifier that remembers the valid signed tokens it checked until they expire (kernel/verified-tokens.ts): an
 * app sends the same session token with every request of its life, and checking its signature again was the
 * largest cost per request in the router after the subgraph calls. What the router decides from the claims
 * (revocation by `issuedAt`, the rate limits) is still decided on every request.
 */
function remembering(verify: TokenVerifier, { kept = VERIFIED_TOKENS_KEPT, now }: Remembering): TokenVerifier {
  const verified = verifiedTokens<Verification>({ kept, now });
  return async (token) => {
    const known = verified.get(token);
    if (known) return known;
    const verification = await verify(token);
    if (verification.ok && verification.expiresAt !== undefined) verified.set(token, verification, verification.expiresAt);
    return verification;
  };
}

export const sessionVerifier = (keys: VerificationKeys, options: Remembering = {}): TokenVerifier =>
  remembering(async (token) => {
    const verified = await verifyAccessToken(keys, token);
    if (!verified.ok) return verified;
    const { userId, emailVerified, issuedAt, expiresAt } = verified.claims;
    return { ok: true, caller: { kind: 'session', userId, emailVerified }, issuedAt, expiresAt };
  }, options);

export const staffVerifier = (keys: VerificationKeys, options: Remembering = {}): TokenVerifier =>
  remembering(async (token) => {
    const verified = await verifyStaffToken(keys, token);
    if (!verified.ok) return verified;
    const { userId, permissions, mfaAt, issuedAt, expiresAt } = verified.claims;
    return { ok: true, caller: { kind: 'staff', userId, permissions, mfaAt }, issuedAt, expiresAt };
  }, options);

export const serviceVerifier =
  (keys: VerificationKeys): TokenVerifier =>
  async (token) => {
    const verified = await verifyServiceToken(keys, token);
    if (!verified.ok) return verified;
    return { ok: true, caller: { kind: 'service', service: verified.service } };
  };

export const oauthVerifier =
  (introspection: Introspection): TokenVerifier =>
  async (token) => {
    const introspected = await introspection.verify(token);
    if (!introspected) return { ok: false, reason: 'invalid' };
    return { ok: true, caller: { kind: 'oauth', ...introspected } };
  };

/**
 * The verifier table: each API family (the part of a manifest's name before the version) admits one kind of
 * token, so a token of another kind is refused before anything runs. An API missing from the table admits nobody.
 *   private → anonymous callers and first-party sessions (our own apps);
 *   app     → the same callers as private: our apps' own operations at the edge's /private/graphql;
 *   public  → OAuth access tokens of third-party apps, never anonymous (like Helix);
 *   admin   → staff tokens; anonymous callers reach only the staff login (the subgraph refuses them the rest);
 *   webhooks → anonymous only: a provider proves itself by signing its webhook, which the domain verifies;
 *   internal → service tokens of the platform's own processes only (rt-gtw loading the bans in force); the facade
 *              has no route to it.
 */
export function apiAccessTable(verifiers: {
  session: TokenVerifier;
  oauth: TokenVerifier;
  staff: TokenVerifier;
  service: TokenVerifier;
}): Record<string, ApiAccess> {
  return {
    private: { anonymous: true, verify: verifiers.session },
    app: { anonymous: true, verify: verifiers.session },
    public: { anonymous: false, verify: verifiers.oauth },
    admin: { anonymous: true, verify: verifiers.staff },
    webhooks: { anonymous: true, verify: async () => ({ ok: false, reason: 'invalid' }) },
    internal: { anonymous: false, verify: verifiers.service },
  };
}

/** `public.v1` → `public`. */
export const apiFamily = (api: string) => api.split('.')[0];
