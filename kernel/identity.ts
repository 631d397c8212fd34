import { randomUUID } from 'node:crypto';
import { type JWTPayload, SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { SigningKey, VerificationKeys } from './keys';
import { verifiedTokens } from './verified-tokens';

/**
 * Three kinds of signed token cross the platform, each signed with a private key only its issuer holds
 * (kernel/keys.ts) and verified with public keys:
 * - the access token a client holds (issued by the user domain at login, verified by the router);
 * - the staff token of the Admin API (the user domain again, with a key of its own);
 * - the identity the router passes to subgraphs on every call: short-lived, addressed to one subgraph, so a
 *   subgraph reached directly without it refuses the call and one subgraph cannot replay it at another.
 */
export const IDENTITY_HEADER = 'x-platform-identity';
export const REQUEST_ID_HEADER = 'x-request-id';

const ACCESS_ISSUER = 'user-store-svc';
const ACCESS_AUDIENCE = 'platform-api';
const IDENTITY_ISSUER = 'router-gtw';
/** The audience of the identity a subgraph accepts: its own name, so an identity sent to one cannot open another. */
export const identityAudience = (subgraph: string) => `subgraph:${subgraph}`;
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const IDENTITY_TTL_SECONDS = 60;

export interface AccessClaims {
  userId: string;
  sessionId: string;
  /**
   * Whether the account had verified its email address when the token was issued: unverified accounts are limited
   * (README, Sign-up). A verification shows in the next token (a refresh), within 15 minutes at most.
   */
  emailVerified?: boolean;
}

export async function issueAccessToken(signing: SigningKey, claims: AccessClaims): Promise<string> {
  return new SignJWT({ sid: claims.sessionId, [ISSUED_AT_MS]: Date.now(), ...(claims.emailVerified ? { evf: true } : {}) })
    .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: 'at+jwt' })
    .setSubject(claims.userId)
    .setIssuer(ACCESS_ISSUER)
    .setAudience(ACCESS_AUDIENCE)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
    .sign(signing.key);
}

export type TokenFailure = 'expired' | 'invalid';

/**
 * When a token was issued, in milliseconds (`iat` has whole seconds): a suspension revokes the tokens issued
 * before it, and one issued just after a reinstatement in the same second must live.
 */
const ISSUED_AT_MS = 'iat_ms';

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : []);

export async function verifyAccessToken(
  keys: VerificationKeys,
  token: string,
): Promise<{ ok: true; claims: Required<AccessClaims> & { issuedAt: number; expiresAt: number } } | { ok: false; reason: TokenFailure }> {
  try {
    const { payload } = await jwtVerify(token, keys.get, {
      issuer: ACCESS_ISSUER,
      audience: ACCESS_AUDIENCE,
      algorithms: keys.algorithms,
      typ: 'at+jwt',
      requiredClaims: ['exp'],
    });
    const issuedAt = payload[ISSUED_AT_MS];
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof issuedAt !== 'number')
      return { ok: false, reason: 'invalid' };
    // A required claim, so it is there; in milliseconds, as issuedAt.
    return {
      ok: true,
      claims: {
        userId: payload.sub,
        sessionId: payload.sid,
        emailVerified: payload.evf === true,
        issuedAt,
        expiresAt: (payload.exp ?? 0) * 1000,
      },
    };
  } catch (error) {
    return { ok: false, reason: error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
  }
}

const STAFF_AUDIENCE = 'admin-api';
/** A staff token outlives its second factor: actions need a TOTP confirmed more recently (see requirePermission). */
export const STAFF_TOKEN_TTL_SECONDS = 8 * 3600;

export interface StaffClaims {
  userId: string;
  permissions: string[];
  /** When the staff member last passed their second factor (epoch seconds). */
  mfaAt: number;
}

/**
 * Staff tokens are a kind of their own (type `staff+jwt`, audience `admin-api`): a user's access token can never
 * pass for one, and a staff token is refused outside the Admin API.
 */
export async function issueStaffToken(signing: SigningKey, claims: StaffClaims): Promise<string> {
  return new SignJWT({ prm: claims.permissions, mfa: claims.mfaAt, [ISSUED_AT_MS]: Date.now() })
    .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: 'staff+jwt' })
    .setSubject(claims.userId)
    .setIssuer(ACCESS_ISSUER)
    .setAudience(STAFF_AUDIENCE)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(`${STAFF_TOKEN_TTL_SECONDS}s`)
    .sign(signing.key);
}

export async function verifyStaffToken(
  keys: VerificationKeys,
  token: string,
): Promise<{ ok: true; claims: StaffClaims & { issuedAt: number; expiresAt: number } } | { ok: false; reason: TokenFailure }> {
  try {
    const { payload } = await jwtVerify(token, keys.get, {
      issuer: ACCESS_ISSUER,
      audience: STAFF_AUDIENCE,
      algorithms: keys.algorithms,
      typ: 'staff+jwt',
      requiredClaims: ['exp'],
    });
    const issuedAt = payload[ISSUED_AT_MS];
    if (typeof payload.sub !== 'string' || typeof payload.mfa !== 'number' || typeof issuedAt !== 'number')
      return { ok: false, reason: 'invalid' };
    return {
      ok: true,
      // A required claim, so it is there; in milliseconds, as issuedAt.
      claims: {
        userId: payload.sub,
        permissions: strings(payload.prm),
        mfaAt: payload.mfa,
        issuedAt,
        expiresAt: (payload.exp ?? 0) * 1000,
      },
    };
  } catch (error) {
    return { ok: false, reason: error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
  }
}

const SERVICE_AUDIENCE = 'internal-api';
const SERVICE_TOKEN_TTL_SECONDS = 60;
/** The platform's processes that may call the Internal API as themselves. */
export const SERVICES = ['rt-gtw'] as const;
export type Service = (typeof SERVICES)[number];
const isService = (value: unknown): value is Service => SERVICES.includes(value as Service);

/**
 * A service token: one of the platform's own processes calling the router as itself (type `service+jwt`, audience
 * `internal-api`), never a user. Short-lived: the caller signs a fresh one for each call.
 */
export async function issueServiceToken(signing: SigningKey, service: Service): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: 'service+jwt' })
    .setSubject(service)
    .setIssuer(service)
    .setAudience(SERVICE_AUDIENCE)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(`${SERVICE_TOKEN_TTL_SECONDS}s`)
    .sign(signing.key);
}

export async function verifyServiceToken(
  keys: VerificationKeys,
  token: string,
): Promise<{ ok: true; service: Service } | { ok: false; reason: TokenFailure }> {
  try {
    const { payload } = await jwtVerify(token, keys.get, {
      audience: SERVICE_AUDIENCE,
      algorithms: keys.algorithms,
      typ: 'service+jwt',
      requiredClaims: ['exp'],
    });
    if (!isService(payload.sub) || payload.iss !== payload.sub) return { ok: false, reason: 'invalid' };
    return { ok: true, service: payload.sub };
  } catch (error) {
    return { ok: false, reason: error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
  }
}

interface Call {
  /** The client's address as the edge saw it, for per-client limits. */
  ip?: string;
  requestId: string;
}

export interface AnonymousIdentity extends Call {
  kind: 'anonymous';
}

export interface SessionIdentity extends Call {
  kind: 'session';
  userId: string;
  /** Whether the user had verified their email address when their access token was issued. */
  emailVerified: boolean;
}

export interface OAuthIdentity extends Call {
  kind: 'oauth';
  clientId: string;
  /** The user who consented; none for an app token (client credentials). */
  userId?: string;
  /** Whether that user had verified their email address when the token was issued; false without a user. */
  emailVerified?: boolean;
  /** What the authorization server granted, as it said it (scopes outside `Scope`, such as `openid`, grant nothing here). */
  scopes: readonly string[];
}

export interface StaffIdentity extends Call {
  kind: 'staff';
  userId: string;
  /** From the staff member's roles when the staff token was issued. */
  permissions: readonly string[];
  /** When the staff member last passed their second factor (epoch seconds). */
  mfaAt: number;
}

export interface ServiceIdentity extends Call {
  kind: 'service';
  /** The platform's own process calling, for no user. */
  service: Service;
}

/**
 * Who is calling, as every subgraph sees it: one shape per kind, so only the kinds that have a user carry one. The
 * kind is how the caller proved who they are, which decides what the scopes mean:
 * - `anonymous`: no token;
 * - `session`: our own apps (Private API) acting for a user with every user right;
 * - `oauth`: a third-party app (Public API); it may do only what `scopes` grant, for `userId` if the user
 *   consented (authorization code, device flow) or for no user at all (client credentials, an app token);
 * - `staff`: a staff member (Admin API) whose `permissions` come from their roles;
 * - `service`: one of the platform's own processes (Internal API), reading what it needs to run (rt-gtw: bans).
 */
export type Identity = AnonymousIdentity | SessionIdentity | OAuthIdentity | StaffIdentity | ServiceIdentity;

/**
 * The signed identity keeps the wire format of one claim set for every kind; verifying it gives back the union.
 * `subgraph` names the one subgraph it is for.
 */
export async function signIdentity(signing: SigningKey, identity: Identity, subgraph: string): Promise<string> {
  const jwt = new SignJWT({
    knd: identity.kind,
    scp: identity.kind === 'oauth' ? identity.scopes : [],
    prm: identity.kind === 'staff' ? identity.permissions : [],
    rid: identity.requestId,
    ...(identity.kind === 'oauth' ? { cid: identity.clientId } : {}),
    ...(identity.ip ? { ip: identity.ip } : {}),
    ...(identity.kind === 'staff' ? { mfa: identity.mfaAt } : {}),
    ...(identity.kind === 'service' ? { svc: identity.service } : {}),
    ...((identity.kind === 'session' || identity.kind === 'oauth') && identity.emailVerified ? { evf: true } : {}),
  })
    .setProtectedHeader({ alg: signing.alg, kid: signing.kid })
    .setIssuer(IDENTITY_ISSUER)
    .setAudience(identityAudience(subgraph))
    .setIssuedAt()
    .setExpirationTime(`${IDENTITY_TTL_SECONDS}s`);
  if (identity.kind !== 'anonymous' && identity.kind !== 'service' && identity.userId) jwt.setSubject(identity.userId);
  return jwt.sign(signing.key);
}

export type IdentityVerifier = (token: string, requestId?: string) => Promise<Identity | null>;

/** How many verified identity tokens a subgraph keeps: the router signs one per caller and subgraph a half minute. */
export const VERIFIED_IDENTITIES_KEPT = 10_000;

/**
 * Verifies the identity tokens sent to one subgraph. A token gives the identity it carries, or null when it is not
 * valid, is addressed to another subgraph, or lacks what its kind must have. `requestId`, the call's own (the
 * `x-request-id` the router sends with every call), wins over the token's: the router reuses a caller's token
 * across its requests.
 *
 * The verifier remembers the tokens it verified until they expire (kernel/verified-tokens.ts): the router reuses a
 * caller's token for half its minute, so a subgraph sees the same token again and again.
 */
export function createIdentityVerifier(
  keys: VerificationKeys,
  subgraph: string,
  { kept = VERIFIED_IDENTITIES_KEPT, now = Date.now }: { kept?: number; now?: () => number } = {},
): IdentityVerifier {
  const verified = verifiedTokens<VerifiedClaims>({ kept, now });
  return async (token, requestId) => {
    const known = verified.get(token);
    if (known) return identityOf(known, requestId);
    const payload = await verifiedIdentityClaims(keys, token, subgraph);
    if (!payload) return null;
    verified.set(token, payload, payload.exp * 1000);
    return identityOf(payload, requestId);
  };
}

/** A verified identity token has an `exp`: it is a required claim of every kind of token (none lives for ever). */
type VerifiedClaims = JWTPayload & { exp: number };

async function verifiedIdentityClaims(keys: VerificationKeys, token: string, subgraph: string): Promise<VerifiedClaims | null> {
  try {
    const { payload } = await jwtVerify(token, keys.get, {
      issuer: IDENTITY_ISSUER,
      audience: identityAudience(subgraph),
      algorithms: keys.algorithms,
      requiredClaims: ['exp'],
    });
    return payload as VerifiedClaims;
  } catch {
    return null;
  }
}

function identityOf(payload: JWTPayload, requestId?: string): Identity | null {
  const call: Call = {
    ...(typeof payload.ip === 'string' ? { ip: payload.ip } : {}),
    requestId: requestId ?? (typeof payload.rid === 'string' ? payload.rid : randomUUID()),
  };
  const userId = typeof payload.sub === 'string' ? payload.sub : undefined;
  switch (payload.knd) {
    case 'anonymous':
      return { kind: 'anonymous', ...call };
    case 'session':
      return userId ? { kind: 'session', userId, emailVerified: payload.evf === true, ...call } : null;
    case 'oauth':
      if (typeof payload.cid !== 'string') return null;
      return {
        kind: 'oauth',
        clientId: payload.cid,
        ...(userId ? { userId, emailVerified: payload.evf === true } : {}),
        scopes: strings(payload.scp),
        ...call,
      };
    case 'staff':
      if (!userId || typeof payload.mfa !== 'number') return null;
      return { kind: 'staff', userId, permissions: strings(payload.prm), mfaAt: payload.mfa, ...call };
    case 'service':
      return isService(payload.svc) && !userId ? { kind: 'service', service: payload.svc, ...call } : null;
    default:
      return null;
  }
}
