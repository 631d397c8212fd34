import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import {
  type Identity,
  issueAccessToken,
  issueStaffToken,
  signIdentity,
  verifyAccessToken,
  issueServiceToken,
  createIdentityVerifier,
  verifyServiceToken,
  verifyStaffToken,
} from './identity';
import { countingChecks } from '../test/support/identities';
import { generateSigningKey, newKeyPair, publicKeys, signingKey, type VerificationKeys } from './keys';

const router = newKeyPair();

/** A fresh verifier per call: what one token gives, with nothing remembered from another case. */
const verifyIdentity = (keys: VerificationKeys, token: string, subgraph: string, requestId?: string) =>
  createIdentityVerifier(keys, subgraph)(token, requestId);

/** A token as the router signs it, with claims of our choosing, to see what verifying makes of them. */
const forged = (claims: Record<string, unknown>, subject?: string, audience = 'subgraph:chnl') => {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: router.signing.alg, kid: router.signing.kid })
    .setIssuer('router-gtw')
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('60s');
  if (subject) jwt.setSubject(subject);
  return jwt.sign(router.signing.key);
};

describe('signed identity', () => {
  it('should carry each kind of caller to the subgraph it is signed for as it was, and nothing another kind has', async () => {
    const userId = randomUUID();
    const callers: Identity[] = [
      { kind: 'anonymous', ip: '203.0.113.9', requestId: 'r1' },
      { kind: 'session', userId, emailVerified: true, requestId: 'r2' },
      { kind: 'session', userId, emailVerified: false, requestId: 'r2b' },
      { kind: 'oauth', clientId: 'app', userId, emailVerified: true, scopes: ['chat:read', 'openid'], requestId: 'r3' },
      { kind: 'oauth', clientId: 'app', userId, emailVerified: false, scopes: ['chat:edit'], requestId: 'r3b' },
      { kind: 'oauth', clientId: 'app', scopes: [], requestId: 'r4' },
      { kind: 'staff', userId, permissions: ['users:read'], mfaAt: 1_700_000_000, requestId: 'r5' },
      { kind: 'service', service: 'rt-gtw', requestId: 'r6' },
    ];
    for (const caller of callers)
      expect(await verifyIdentity(router.verification, await signIdentity(router.signing, caller, 'chnl'), 'chnl')).toEqual(caller);
  });

  it('should refuse an identity signed for another subgraph', async () => {
    const token = await signIdentity(router.signing, { kind: 'anonymous', requestId: 'r' }, 'chat');
    expect(await verifyIdentity(router.verification, token, 'chnl')).toBeNull();
  });

  it('should refuse a token that lacks what its kind must have, or names no known kind', async () => {
    expect(await verifyIdentity(router.verification, await forged({ knd: 'session', rid: 'r' }), 'chnl')).toBeNull();
    expect(await verifyIdentity(router.verification, await forged({ knd: 'oauth', scp: ['chat:read'] }, randomUUID()), 'chnl')).toBeNull();
    expect(await verifyIdentity(router.verification, await forged({ knd: 'staff', prm: ['users:read'] }, randomUUID()), 'chnl')).toBeNull();
    expect(await verifyIdentity(router.verification, await forged({ knd: 'root' }, randomUUID()), 'chnl')).toBeNull();
    expect(await verifyIdentity(router.verification, await forged({ knd: 'service', svc: 'nobody' }), 'chnl')).toBeNull();
    expect(await verifyIdentity(router.verification, await forged({ knd: 'service', svc: 'rt-gtw' }, randomUUID()), 'chnl')).toBeNull();
  });

  it('should refuse a token signed with another key under the same kid, and one signed with HS256 over the public key', async () => {
    const impostor = newKeyPair(router.signing.kid);
    const token = await signIdentity(impostor.signing, { kind: 'anonymous', requestId: 'r' }, 'chnl');
    expect(await verifyIdentity(router.verification, token, 'chnl')).toBeNull();

    const publicJwk = JSON.parse(router.publicKeys).keys[0];
    const confused = await new SignJWT({ knd: 'anonymous' })
      .setProtectedHeader({ alg: 'HS256', kid: router.signing.kid })
      .setIssuer('router-gtw')
      .setAudience('subgraph:chnl')
      .setExpirationTime('60s')
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    expect(await verifyIdentity(router.verification, confused, 'chnl')).toBeNull();
  });
});

describe('the subgraph’s identity verifier', () => {
  const counted = () => countingChecks(router);
  const alice: Identity = { kind: 'session', userId: randomUUID(), emailVerified: true, ip: '203.0.113.9', requestId: 'r1' };

  it('should check a token’s signature once while it lives, and give each call its own request id', async () => {
    const keys = counted();
    const verify = createIdentityVerifier(keys, 'chnl');
    const token = await signIdentity(router.signing, alice, 'chnl');
    expect(await verify(token, 'r1')).toEqual(alice);
    expect(await verify(token, 'r2')).toEqual({ ...alice, requestId: 'r2' });
    expect(await verify(token)).toEqual(alice);
    expect(keys.checks).toBe(1);
  });

  it('should check a token again once its exp has passed', async () => {
    const keys = counted();
    let clock = Date.now();
    const verify = createIdentityVerifier(keys, 'chnl', { now: () => clock });
    const token = await signIdentity(router.signing, alice, 'chnl');
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    clock = exp * 1000 - 1;
    await verify(token, 'r1');
    await verify(token, 'r1');
    expect(keys.checks).toBe(1);
    clock = exp * 1000;
    await verify(token, 'r1');
    expect(keys.checks).toBe(2);
  });

  it('should keep no refused token, and at most `kept` verified ones, dropping the oldest first', async () => {
    const keys = counted();
    const verify = createIdentityVerifier(keys, 'chnl', { kept: 2 });
    const elsewhere = await signIdentity(router.signing, alice, 'chat');
    expect(await verify(elsewhere)).toBeNull();
    expect(await verify(elsewhere)).toBeNull();
    expect(keys.checks).toBe(2);

    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => signIdentity(router.signing, { ...alice, userId: id }, 'chnl')));
    for (const token of [a, b, c, c, b]) await verify(token);
    expect(keys.checks).toBe(5);
    await verify(a);
    expect(keys.checks).toBe(6);
  });
});

describe('key rotation', () => {
  it('should verify tokens of the old and the new key while both are published, and only the new one after', async () => {
    const old = generateSigningKey('2026-10');
    const next = generateSigningKey('2026-11');
    const both = publicKeys('keys').parse(
      JSON.stringify({ keys: [...JSON.parse(old.publicKeys).keys, ...JSON.parse(next.publicKeys).keys] }),
    );
    const oldKey = signingKey('old').parse(old.signingKey);
    const nextKey = signingKey('next').parse(next.signingKey);
    const claims = { userId: randomUUID(), sessionId: randomUUID() };
    const before = await issueAccessToken(oldKey, claims);
    const after = await issueAccessToken(nextKey, claims);
    expect((await verifyAccessToken(both, before)).ok).toBe(true);
    expect((await verifyAccessToken(both, after)).ok).toBe(true);

    const retired = publicKeys('keys').parse(next.publicKeys);
    expect(await verifyAccessToken(retired, before)).toEqual({ ok: false, reason: 'invalid' });
    expect((await verifyAccessToken(retired, after)).ok).toBe(true);
  });
});

describe('token kinds', () => {
  it('should keep access and staff tokens apart, each verified with its own issuer key', async () => {
    const access = newKeyPair();
    const staff = newKeyPair();
    const userId = randomUUID();
    const accessToken = await issueAccessToken(access.signing, { userId, sessionId: randomUUID() });
    expect((await verifyStaffToken(access.verification, accessToken)).ok).toBe(false);
    const staffToken = await issueStaffToken(staff.signing, { userId, permissions: ['users:read'], mfaAt: 1 });
    expect((await verifyStaffToken(staff.verification, staffToken)).ok).toBe(true);
    expect((await verifyStaffToken(access.verification, staffToken)).ok).toBe(false);
    expect((await verifyAccessToken(access.verification, staffToken)).ok).toBe(false);
    const sameKey = await issueStaffToken(access.signing, { userId, permissions: ['users:read'], mfaAt: 1 });
    expect((await verifyAccessToken(access.verification, sameKey)).ok).toBe(false);
  });

  it('should say in an access token whether the account had verified its email address', async () => {
    const access = newKeyPair();
    const userId = randomUUID();
    const verified = await issueAccessToken(access.signing, { userId, sessionId: randomUUID(), emailVerified: true });
    const unverified = await issueAccessToken(access.signing, { userId, sessionId: randomUUID() });
    expect(await verifyAccessToken(access.verification, verified)).toMatchObject({ ok: true, claims: { emailVerified: true } });
    expect(await verifyAccessToken(access.verification, unverified)).toMatchObject({ ok: true, claims: { emailVerified: false } });
  });

  it('should take a service token as its service only, never as a user token and never a user token as one', async () => {
    const service = newKeyPair();
    const token = await issueServiceToken(service.signing, 'rt-gtw');
    expect(await verifyServiceToken(service.verification, token)).toEqual({ ok: true, service: 'rt-gtw' });
    expect((await verifyAccessToken(service.verification, token)).ok).toBe(false);
    const accessToken = await issueAccessToken(service.signing, { userId: randomUUID(), sessionId: randomUUID() });
    expect((await verifyServiceToken(service.verification, accessToken)).ok).toBe(false);
    expect((await verifyServiceToken(newKeyPair().verification, token)).ok).toBe(false);
  });
});

describe('tokens that never expire', () => {
  it('should refuse a token of any kind signed without exp, however right the rest of it', async () => {
    const keys = newKeyPair();
    const userId = randomUUID();
    const unending = (claims: Record<string, unknown>, typ: string | undefined, issuer: string, audience: string, subject: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: keys.signing.alg, kid: keys.signing.kid, ...(typ ? { typ } : {}) })
        .setSubject(subject)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .sign(keys.signing.key);
    const access = await unending({ sid: randomUUID(), iat_ms: Date.now() }, 'at+jwt', 'user-store-svc', 'platform-api', userId);
    expect(await verifyAccessToken(keys.verification, access)).toEqual({ ok: false, reason: 'invalid' });
    const staff = await unending({ prm: ['users:read'], mfa: 1, iat_ms: Date.now() }, 'staff+jwt', 'user-store-svc', 'admin-api', userId);
    expect(await verifyStaffToken(keys.verification, staff)).toEqual({ ok: false, reason: 'invalid' });
    const service = await unending({}, 'service+jwt', 'rt-gtw', 'internal-api', 'rt-gtw');
    expect(await verifyServiceToken(keys.verification, service)).toEqual({ ok: false, reason: 'invalid' });
    const identity = await unending({ knd: 'session', rid: 'r' }, undefined, 'router-gtw', 'subgraph:chnl', userId);
    expect(await verifyIdentity(keys.verification, identity, 'chnl')).toBeNull();
  });
});

describe('key configuration', () => {
  it('should refuse a JWKS holding a private key, and a signing key without a kid', () => {
    const generated = generateSigningKey('k1');
    expect(publicKeys('X').safeParse(JSON.stringify({ keys: [JSON.parse(generated.signingKey)] })).success).toBe(false);
    expect(publicKeys('X').safeParse('{"keys":[]}').success).toBe(false);
    expect(publicKeys('X').safeParse('not json').success).toBe(false);
    const { kid: _kid, ...withoutKid } = JSON.parse(generated.signingKey);
    expect(signingKey('X').safeParse(generated.signingKey).success).toBe(true);
    expect(signingKey('X').safeParse(JSON.stringify(withoutKid)).success).toBe(false);
  });
});
