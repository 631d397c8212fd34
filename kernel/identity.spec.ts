import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { type Identity, signIdentity, verifyIdentity } from './identity';

const secret = randomBytes(32).toString('hex');

/** A token as the router signs it, with claims of our choosing, to see what verifying makes of them. */
const forged = (claims: Record<string, unknown>, subject?: string) => {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('router-gtw')
    .setAudience('subgraphs')
    .setIssuedAt()
    .setExpirationTime('60s');
  if (subject) jwt.setSubject(subject);
  return jwt.sign(new TextEncoder().encode(secret));
};

describe('signed identity', () => {
  it('should carry each kind of caller to the subgraphs as it was, and nothing another kind has', async () => {
    const userId = randomUUID();
    const callers: Identity[] = [
      { kind: 'anonymous', ip: '203.0.113.9', requestId: 'r1' },
      { kind: 'session', userId, requestId: 'r2' },
      { kind: 'oauth', clientId: 'app', userId, scopes: ['chat:read', 'openid'], requestId: 'r3' },
      { kind: 'oauth', clientId: 'app', scopes: [], requestId: 'r4' },
      { kind: 'staff', userId, permissions: ['users:read'], mfaAt: 1_700_000_000, requestId: 'r5' },
    ];
    for (const caller of callers) expect(await verifyIdentity(secret, await signIdentity(secret, caller))).toEqual(caller);
  });

  it('should refuse a token that lacks what its kind must have, or names no known kind', async () => {
    expect(await verifyIdentity(secret, await forged({ knd: 'session', rid: 'r' }))).toBeNull();
    expect(await verifyIdentity(secret, await forged({ knd: 'oauth', scp: ['chat:read'] }, randomUUID()))).toBeNull();
    expect(await verifyIdentity(secret, await forged({ knd: 'staff', prm: ['users:read'] }, randomUUID()))).toBeNull();
    expect(await verifyIdentity(secret, await forged({ knd: 'root' }, randomUUID()))).toBeNull();
    expect(await verifyIdentity(randomBytes(32).toString('hex'), await forged({ knd: 'anonymous' }))).toBeNull();
  });
});
