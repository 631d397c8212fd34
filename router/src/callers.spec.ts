import { randomUUID } from 'node:crypto';
import { issueAccessToken, issueStaffToken } from '../../kernel/identity';
import { newKeyPair } from '../../kernel/keys';
import { countingChecks } from '../../test/support/identities';
import { sessionVerifier, staffVerifier } from './callers';

const issuer = newKeyPair();

const counted = () => countingChecks(issuer);

const expOf = (token: string): number => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp;

describe('the router’s token verifiers', () => {
  const userId = randomUUID();
  const session = () => issueAccessToken(issuer.signing, { userId, sessionId: randomUUID(), emailVerified: true });

  it('should check a session token’s signature once while it lives, and give the same caller and issue time', async () => {
    const keys = counted();
    let clock = Date.now();
    const verify = sessionVerifier(keys, { now: () => clock });
    const token = await session();

    const first = await verify(token);
    expect(first).toMatchObject({ ok: true, caller: { kind: 'session', userId, emailVerified: true }, expiresAt: expOf(token) * 1000 });
    clock = expOf(token) * 1000 - 1;
    expect(await verify(token)).toEqual(first);
    expect(keys.checks).toBe(1);

    clock = expOf(token) * 1000;
    await verify(token);
    expect(keys.checks).toBe(2);
  });

  it('should keep no refused token, and at most `kept` valid ones, dropping the oldest first', async () => {
    const keys = counted();
    const verify = sessionVerifier(keys, { kept: 2 });
    const token = await session();
    const tampered = `${token.slice(0, -4)}AAAA`;
    expect(await verify(tampered)).toEqual({ ok: false, reason: 'invalid' });
    expect(await verify(tampered)).toEqual({ ok: false, reason: 'invalid' });
    expect(keys.checks).toBe(2);

    const [a, b, c] = await Promise.all([session(), session(), session()]);
    for (const t of [a, b, c, c, b]) await verify(t);
    expect(keys.checks).toBe(5);
    await verify(a);
    expect(keys.checks).toBe(6);
  });

  it('should remember a staff token the same way, with its permissions and second-factor time', async () => {
    const keys = counted();
    const verify = staffVerifier(keys);
    const mfaAt = Math.floor(Date.now() / 1000);
    const token = await issueStaffToken(issuer.signing, { userId, permissions: ['users:read'], mfaAt });

    const first = await verify(token);
    expect(first).toMatchObject({ ok: true, caller: { kind: 'staff', userId, permissions: ['users:read'], mfaAt } });
    expect(await verify(token)).toEqual(first);
    expect(keys.checks).toBe(1);
  });
});
