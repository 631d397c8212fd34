import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { type Algorithm, hash, verify } from '@node-rs/argon2';

/**
 * Passwords are hashed with Argon2id at OWASP's recommended minimum (19 MiB of memory, 2 passes, 1 lane): memory-
 * hard and cheaper in CPU than scrypt at an equal strength, which matters on a login path that runs on every
 * session. `@node-rs/argon2` ships prebuilt binaries as optional packages, so it installs without running scripts,
 * and hashes on libuv's thread pool, not on the event loop.
 *
 * Hashes are stored as PHC strings carrying their parameters. Accounts made before (scrypt) or under weaker
 * parameters still log in; a successful login tells the caller to store a new hash (`needsRehash`).
 */
// `Algorithm.Argon2id`: the package declares its enum `const`, which isolated modules cannot read.
const ARGON2ID_ALGORITHM: Algorithm = 2;
const ARGON2ID = { algorithm: ARGON2ID_ALGORITHM, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;
const CURRENT_PARAMETERS = `$argon2id$v=19$m=${ARGON2ID.memoryCost},t=${ARGON2ID.timeCost},p=${ARGON2ID.parallelism}$`;

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFKC'), ARGON2ID);
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const normalized = password.normalize('NFKC');
  if (stored.startsWith('$argon2')) return verify(stored, normalized).catch(() => false);
  if (stored.startsWith('scrypt$')) return verifyLegacyScrypt(normalized, stored);
  return false;
}

/** Whether a hash that just verified was made under other parameters than today's, and should be replaced. */
export const needsRehash = (stored: string): boolean => !stored.startsWith(CURRENT_PARAMETERS);

/** The scheme of accounts made before Argon2id: `scrypt$N$r$p$salt$key`, base64url. */
const SCRYPT_MAX_MEMORY = 64 * 1024 * 1024;

async function verifyLegacyScrypt(password: string, stored: string): Promise<boolean> {
  const [, n, r, p, salt, key] = stored.split('$');
  const options: ScryptOptions = { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT_MAX_MEMORY };
  if (!salt || !key || ![options.N, options.r, options.p].every((value) => value !== undefined && Number.isSafeInteger(value) && value > 0))
    return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await new Promise<Buffer | null>((resolve) =>
    scrypt(password, Buffer.from(salt, 'base64url'), expected.length, options, (error, derived) => resolve(error ? null : derived)),
  );
  return actual !== null && actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * A hash of a password nobody has, verified when the login is unknown so that a wrong login and a wrong password
 * take the same time and cannot be told apart.
 */
export const DECOY_HASH = hashPassword(crypto.randomUUID());
