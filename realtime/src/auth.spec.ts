import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from '../../kernel/identity';
import { newKeyPair } from '../../kernel/keys';
import { identities } from '../../test/support/identities';
import { authenticate, CHAT_READ_SCOPE, sessionTokenVerifier, type TokenVerifier } from './auth';

const keys = newKeyPair();
const suspended = new Map<string, number>();
const revocations = { revoked: (userId: string, issuedAt: number) => issuedAt <= (suspended.get(userId) ?? -1) };
const sessions = () => sessionTokenVerifier(keys.verification, revocations);
const app =
  (scopes: string[]): TokenVerifier =>
  async () =>
    identities.oauth(randomUUID(), scopes, 'app');

describe('authenticate', () => {
  it('should make a connection without a token an anonymous viewer', async () => {
    expect(await authenticate(undefined, sessions())).toMatchObject({ kind: 'anonymous' });
    expect(await authenticate({}, sessions())).toMatchObject({ kind: 'anonymous' });
  });

  it('should take a session access token as its user', async () => {
    const userId = randomUUID();
    const token = await issueAccessToken(keys.signing, { userId, sessionId: randomUUID() });
    expect(await authenticate({ authorization: `Bearer ${token}` }, sessions())).toMatchObject({ kind: 'session', userId });
  });

  it('should know when a session token expires, to close the socket then', async () => {
    const token = await issueAccessToken(keys.signing, { userId: randomUUID(), sessionId: randomUUID() });
    const identity = await authenticate({ authorization: `Bearer ${token}` }, sessions());
    expect(identity?.expiresAt).toBeGreaterThan(Date.now() + ACCESS_TOKEN_TTL_SECONDS * 1000 - 5_000);
    expect(identity?.expiresAt).toBeLessThanOrEqual(Date.now() + ACCESS_TOKEN_TTL_SECONDS * 1000);
  });

  it('should refuse a session token issued before its user was suspended', async () => {
    const userId = randomUUID();
    const token = await issueAccessToken(keys.signing, { userId, sessionId: randomUUID() });
    suspended.set(userId, Date.now());
    expect(await authenticate({ authorization: `Bearer ${token}` }, sessions())).toBeNull();
  });

  it('should refuse a malformed, invalid or foreign token rather than fall back to anonymous', async () => {
    const foreign = await issueAccessToken(newKeyPair(keys.signing.kid).signing, { userId: randomUUID(), sessionId: randomUUID() });
    for (const authorization of [`Bearer ${foreign}`, 'Bearer nope', 'Basic abc', 42, '']) {
      expect(await authenticate({ authorization }, sessions())).toBeNull();
    }
  });

  it('should let an app in only with the chat:read scope', async () => {
    expect(await authenticate({ authorization: 'Bearer t' }, app([]))).toBeNull();
    expect(await authenticate({ authorization: 'Bearer t' }, app([CHAT_READ_SCOPE]))).toMatchObject({ kind: 'oauth' });
  });
});
