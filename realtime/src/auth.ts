import { randomUUID } from 'node:crypto';
import { hasScope } from '../../kernel/access';
import { type Identity, verifyAccessToken } from '../../kernel/identity';
import type { VerificationKeys } from '../../kernel/keys';
import type { Scope } from '../../kernel/scopes';
import type { Introspection } from '../../kernel/introspection';
import type { Revocations } from '../../kernel/revocations';

/** Reading chat needs this scope from a third-party app; our own apps' sessions hold every user right. */
export const CHAT_READ_SCOPE: Scope = 'chat:read';

/** A connection's caller, and when the token it opened with expires (epoch milliseconds): the socket closes then. */
export type ConnectionIdentity = Identity & { expiresAt?: number };

/** Turns a bearer token into the caller's identity, or null when the token is not valid. */
export type TokenVerifier = (token: string) => Promise<ConnectionIdentity | null>;

/** Sessions, unless a suspension since the token was issued revoked it. */
export function sessionTokenVerifier(keys: VerificationKeys, revocations: Pick<Revocations, 'revoked'>): TokenVerifier {
  return async (token) => {
    const verified = await verifyAccessToken(keys, token);
    if (!verified.ok || revocations.revoked(verified.claims.userId, verified.claims.issuedAt)) return null;
    const { userId, emailVerified, expiresAt } = verified.claims;
    return { kind: 'session', userId, emailVerified, requestId: randomUUID(), expiresAt };
  };
}

/** A third-party app's opaque token, as the authorization server describes it (introspection, cached ≤ 1 s). */
export function oauthTokenVerifier(introspection: Introspection): TokenVerifier {
  return async (token) => {
    const introspected = await introspection.verify(token);
    if (!introspected) return null;
    return { kind: 'oauth', ...introspected, requestId: randomUUID() };
  };
}

/** The first identity any verifier finds: session tokens are JWTs and OAuth tokens opaque, so at most one matches. */
export const anyTokenVerifier =
  (...verifiers: TokenVerifier[]): TokenVerifier =>
  async (token) => {
    for (const verify of verifiers) {
      const identity = await verify(token);
      if (identity) return identity;
    }
    return null;
  };

const anonymous = (): Identity => ({ kind: 'anonymous', requestId: randomUUID() });

/**
 * The identity of a connection from its `connection_init` payload `{ authorization: "Bearer <token>" }`: anonymous
 * without one (anonymous viewers read public rooms), null (refused, 4403) for a token that is malformed, invalid,
 * expired or lacks chat:read. A bad token is never downgraded to anonymous, as the router does for HTTP.
 */
export async function authenticate(params: Record<string, unknown> | undefined, verify: TokenVerifier): Promise<ConnectionIdentity | null> {
  const authorization = params?.authorization;
  if (authorization === undefined || authorization === null) return anonymous();
  if (typeof authorization !== 'string') return null;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization);
  if (!match) return null;
  const identity = await verify(match[1]);
  if (!identity || !hasScope(identity, CHAT_READ_SCOPE)) return null;
  return identity;
}
