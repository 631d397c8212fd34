import { randomBytes, scryptSync } from 'node:crypto';
import { hashPassword, needsRehash, verifyPassword } from './passwords';

/** A hash as the platform stored them before Argon2id. */
function legacyScryptHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 2 ** 14, r: 8, p: 1 });
  return ['scrypt', 2 ** 14, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

describe('passwords', () => {
  it('should hash with Argon2id at OWASP parameters, verify the password and refuse another', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(needsRehash(hash)).toBe(false);
  });

  it('should salt each hash', async () => {
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'));
  });

  it('should compare passwords in one Unicode normal form', async () => {
    expect(await verifyPassword('ﬁre-and-ice', await hashPassword('fire-and-ice'))).toBe(true);
  });

  it('should still verify a legacy scrypt hash, and ask for it to be replaced', async () => {
    const legacy = legacyScryptHash('an old password');
    expect(await verifyPassword('an old password', legacy)).toBe(true);
    expect(await verifyPassword('an old passwore', legacy)).toBe(false);
    expect(needsRehash(legacy)).toBe(true);
  });

  it('should ask for a rehash of an Argon2id hash under weaker parameters', () => {
    expect(needsRehash('$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$a2V5')).toBe(true);
  });

  it('should refuse malformed stored hashes', async () => {
    expect(await verifyPassword('x', 'md5$abc')).toBe(false);
    expect(await verifyPassword('x', '$argon2id$v=19$garbage')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$-1$8$1$c2FsdA$a2V5')).toBe(false);
  });
});
