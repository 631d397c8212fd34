import type { ErrorCode } from '../../kernel/errors';
import { type Identity, type TokenFailure, verifyAccessToken, verifyStaffToken } from '../../kernel/identity';
import type { Revocations } from './revocations';

/** The identity fields a token proves; the router adds the request's own (request id, client address). */
export type Caller = Omit<Identity, 'requestId' | 'ip'>;

export type CallerRefusal = { status: number; code: ErrorCode; message: string; headers: Record<string, string> };

const ANONYMOUS: Caller = { kind: 'anonymous', scopes: [], permissions: [] };

/**
 * Which callers each API admits, and how its bearer tokens are read: one API, one kind of token. A token of
 * another kind fails that API's verification, so a Private or Public token never opens an Admin operation.
 * Anonymous calls reach the subgraphs, which decide what an anonymous caller may do (read public data, log in).
 */
type Verify = (token: string, secret: string) => Promise<{ ok: true; caller: Caller; issuedAt: number } | { ok: false; reason: TokenFailure }>;

const VERIFIERS: Record<string, { anonymous: boolean; verify: Verify }> = {
  'private.v1': {
    anonymous: true,
    verify: async (token, secret) => {
      const result = await verifyAccessToken(secret, token);
      if (!result.ok) return result;
      return { ok: true, caller: { kind: 'session', userId: result.claims.userId, scopes: [], permissions: [] }, issuedAt: result.claims.issuedAt };
    },
  },
  'admin.v1': {
    anonymous: true,
    verify: async (token, secret) => {
      const result = await verifyStaffToken(secret, token);
      if (!result.ok) return result;
      const { userId, permissions, mfaAt, issuedAt } = result.claims;
      return { ok: true, caller: { kind: 'staff', userId, scopes: [], permissions, mfaAt }, issuedAt };
    },
  },
};

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

const unauthenticated = (description: string): CallerRefusal => ({
  status: 401,
  code: 'UNAUTHENTICATED',
  message: `access token ${description}`,
  headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="token ${description}"` },
});

export async function authenticate(
  api: string,
  authorization: string | undefined,
  secret: string,
  revocations: Revocations,
): Promise<{ caller: Caller } | CallerRefusal> {
  const rule = VERIFIERS[api];
  if (!rule) return { status: 403, code: 'FORBIDDEN', message: `no caller may run ${api} operations`, headers: {} };
  if (authorization === undefined) {
    return rule.anonymous ? { caller: ANONYMOUS } : { ...unauthenticated('missing'), headers: { 'www-authenticate': 'Bearer' } };
  }
  const match = BEARER.exec(authorization);
  const verified = match ? await rule.verify(match[1]!, secret) : ({ ok: false, reason: 'invalid' } as const);
  if (!verified.ok) return unauthenticated(verified.reason);
  if (verified.caller.userId && revocations.revoked(verified.caller.userId, verified.issuedAt)) return unauthenticated('revoked');
  return { caller: verified.caller };
}
