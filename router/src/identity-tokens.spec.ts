import { createIdentityVerifier, type Identity } from '../../kernel/identity';
import { newKeyPair } from '../../kernel/keys';
import { createIdentityTokens } from './identity-tokens';

const router = newKeyPair();

describe('the router’s identity tokens', () => {
  let clock = 1_000_000;
  const now = () => clock;
  const alice: Identity = { kind: 'session', userId: 'alice', emailVerified: true, ip: '203.0.113.9', requestId: 'r1' };

  it('reuses a caller’s token for a subgraph across its requests while fresh, and signs another after', async () => {
    const tokens = createIdentityTokens(router.signing, { reuseMs: 30_000, now });
    // A signing is a promise of its own: the same promise is the same signature (Ed25519 signs the same claims alike).
    const first = tokens.tokenFor(alice, 'chnl');
    await first;
    clock += 29_999;
    expect(tokens.tokenFor({ ...alice, requestId: 'r2' }, 'chnl')).toBe(first);
    clock += 1;
    expect(tokens.tokenFor({ ...alice, requestId: 'r3' }, 'chnl')).not.toBe(first);
  });

  it('signs another token for another subgraph, and for any claim of the caller that differs', async () => {
    const tokens = createIdentityTokens(router.signing, { now });
    const first = await tokens.tokenFor(alice, 'chnl');
    const others: [Identity, string][] = [
      [alice, 'user'],
      [{ ...alice, emailVerified: false }, 'chnl'],
      [{ ...alice, ip: '203.0.113.10' }, 'chnl'],
      [{ ...alice, userId: 'bob' }, 'chnl'],
      [
        { kind: 'oauth', clientId: 'app', userId: 'alice', emailVerified: true, scopes: ['chat:read'], ip: '203.0.113.9', requestId: 'r' },
        'chnl',
      ],
      [
        { kind: 'oauth', clientId: 'app', userId: 'alice', emailVerified: true, scopes: ['chat:edit'], ip: '203.0.113.9', requestId: 'r' },
        'chnl',
      ],
    ];
    const signed = await Promise.all(others.map(([identity, subgraph]) => tokens.tokenFor(identity, subgraph)));
    expect(new Set([first, ...signed]).size).toBe(others.length + 1);
    for (const [i, [identity, subgraph]] of others.entries()) {
      const { requestId: _, ...claims } = identity;
      expect(await createIdentityVerifier(router.verification, subgraph)(signed[i], 'now')).toEqual({ ...claims, requestId: 'now' });
    }
  });

  it('gives subgraphs the request id of the call, not the one the reused token was signed with', async () => {
    const tokens = createIdentityTokens(router.signing, { now });
    await tokens.tokenFor(alice, 'chnl');
    const reused = await tokens.tokenFor({ ...alice, requestId: 'r2' }, 'chnl');
    expect((await createIdentityVerifier(router.verification, 'chnl')(reused, 'r2'))?.requestId).toBe('r2');
  });

  it('keeps at most maxEntries tokens, dropping the oldest first', async () => {
    const tokens = createIdentityTokens(router.signing, { maxEntries: 2, now });
    const a = tokens.tokenFor({ ...alice, userId: 'a' }, 'chnl');
    const b = tokens.tokenFor({ ...alice, userId: 'b' }, 'chnl');
    tokens.tokenFor({ ...alice, userId: 'c' }, 'chnl');
    expect(tokens.tokenFor({ ...alice, userId: 'b' }, 'chnl')).toBe(b);
    expect(tokens.tokenFor({ ...alice, userId: 'a' }, 'chnl')).not.toBe(a);
    await Promise.all([a, b]);
  });
});
