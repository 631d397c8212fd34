import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject, randomUUID } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';

/**
 * Every token the platform signs is signed with a private key only its issuer holds, and verified with public keys
 * (a JWKS) that may be handed to anyone: a verifier that leaks its configuration lets nobody mint tokens.
 *
 * A rotation publishes the new key beside the old one to the verifiers first, then gives the issuer the new private
 * key: tokens signed with either verify throughout, and the old public key is dropped once its last token expired.
 */
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface SigningKey {
  key: KeyObject;
  kid: string;
  alg: SigningAlgorithm;
}

export interface VerificationKeys {
  /** For jose's jwtVerify: picks the public key by the token's `kid` and `alg`. */
  get: JWTVerifyGetKey;
  algorithms: SigningAlgorithm[];
}

const json = (variable: string) =>
  z.string({ error: `is required (${variable})` }).transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  });

const algorithmOf = (jwk: JsonWebKey): SigningAlgorithm | undefined =>
  jwk.kty === 'OKP' && jwk.crv === 'Ed25519' ? 'EdDSA' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined;

/** A private JWK (Ed25519 or P-256) with its `kid`, as the issuer's config holds it. */
export const signingKey = (variable: string) =>
  json(variable).transform((value, ctx): SigningKey => {
    const jwk = value as JsonWebKey & { kid?: unknown };
    const alg = typeof value === 'object' && value ? algorithmOf(jwk) : undefined;
    if (!alg || typeof jwk.d !== 'string' || typeof jwk.kid !== 'string' || !jwk.kid) {
      ctx.addIssue({ code: 'custom', message: 'must be a private Ed25519 or P-256 JWK with a kid' });
      return z.NEVER;
    }
    try {
      return { key: createPrivateKey({ key: jwk, format: 'jwk' }), kid: jwk.kid, alg };
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a usable private key' });
      return z.NEVER;
    }
  });

/** A JWKS of public keys (`{"keys":[...]}`), each with its `kid`; a private key here is refused, not ignored. */
export const publicKeys = (variable: string) =>
  json(variable).transform((value, ctx): VerificationKeys => {
    const keys = (value as { keys?: unknown })?.keys;
    if (!Array.isArray(keys) || keys.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a JWKS: {"keys":[...]} with at least one key' });
      return z.NEVER;
    }
    const algorithms = new Set<SigningAlgorithm>();
    for (const jwk of keys as (JsonWebKey & { kid?: unknown })[]) {
      const alg = algorithmOf(jwk);
      if (!alg || typeof jwk.kid !== 'string' || 'd' in jwk) {
        ctx.addIssue({ code: 'custom', message: 'each key must be a public Ed25519 or P-256 JWK with a kid (no private part)' });
        return z.NEVER;
      }
      algorithms.add(alg);
    }
    return { get: createLocalJWKSet(value as JSONWebKeySet), algorithms: [...algorithms] };
  });

/** The public half of a signing key, as a verifier's JWKS lists it. */
export function publicJwkOf(signing: SigningKey): JsonWebKey & { kid: string; alg: SigningAlgorithm; use: 'sig' } {
  return { ...createPublicKey(signing.key).export({ format: 'jwk' }), kid: signing.kid, alg: signing.alg, use: 'sig' };
}

/** A fresh Ed25519 key pair, as config values: the private JWK and a JWKS holding its public half. */
export function generateSigningKey(kid: string = randomUUID()): { signingKey: string; publicKeys: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' };
  return {
    signingKey: JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid, alg: 'EdDSA' }),
    publicKeys: JSON.stringify({ keys: [publicJwk] }),
  };
}

/** The four signing keys of the platform and their verifiers. */
export const KEY_VARIABLES = {
  access: { signing: 'ACCESS_TOKEN_SIGNING_KEY', public: 'ACCESS_TOKEN_PUBLIC_KEYS' },
  staff: { signing: 'STAFF_TOKEN_SIGNING_KEY', public: 'STAFF_TOKEN_PUBLIC_KEYS' },
  identity: { signing: 'IDENTITY_SIGNING_KEY', public: 'IDENTITY_PUBLIC_KEYS' },
  /** Held by the platform's own processes that call the router as themselves (rt-gtw); verified by the router. */
  service: { signing: 'SERVICE_TOKEN_SIGNING_KEY', public: 'SERVICE_TOKEN_PUBLIC_KEYS' },
} as const;

/**
 * Every key variable, freshly generated: for processes that run together (`npm start`, the tests, the benchmark),
 * where one environment reaches issuers and verifiers alike. Values already in `env` are kept.
 */
export function generatedKeysEnv(env: NodeJS.ProcessEnv = {}): Record<string, string> {
  const generated: Record<string, string> = {};
  for (const pair of Object.values(KEY_VARIABLES)) {
    const given = env[pair.signing] ?? env[pair.public];
    const fresh = given ? { signingKey: env[pair.signing], publicKeys: env[pair.public] } : generateSigningKey();
    if (fresh.signingKey) generated[pair.signing] = fresh.signingKey;
    if (fresh.publicKeys) generated[pair.public] = fresh.publicKeys;
  }
  return generated;
}

/** A fresh key pair as the processes hold it after parsing their config: for the seed and for tests. */
export function newKeyPair(kid: string = randomUUID()): { signing: SigningKey; verification: VerificationKeys; publicKeys: string } {
  const generated = generateSigningKey(kid);
  return {
    signing: signingKey('signing key').parse(generated.signingKey),
    verification: publicKeys('public keys').parse(generated.publicKeys),
    publicKeys: generated.publicKeys,
  };
}
