import { type Identity, IDENTITY_TTL_SECONDS, signIdentity } from '../../kernel/identity';
import type { SigningKey } from '../../kernel/keys';

export interface IdentityTokens {
  /** The caller's identity signed for `subgraph`: the one signed for the same caller earlier while it is fresh. */
  tokenFor(identity: Identity, subgraph: string): Promise<string>;
}

export interface IdentityTokenOptions {
  /** How long a token is reused, from its signing: half its lifetime, so a reused token always has 30 s left. */
  reuseMs?: number;
  /** How many (caller, subgraph) tokens are kept; the oldest go first. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * What a token says of its caller, as one string: every claim but the request id. Two requests of the same caller
 * from the same address get the same key; any claim that differs (scopes, permissions, a verified email) makes another.
 */
function callerKey(identity: Identity, subgraph: string): string {
  const { requestId: _, ...caller } = identity;
  const claims = Object.entries(caller)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `${subgraph}\n${JSON.stringify(claims)}`;
}

/**
 * The router's identity tokens, reused while fresh: an Ed25519 signature per subgraph per request was the largest
 * part of the router's own CPU per call after the subgraph client. A reused token carries the request id of the
 * request it was signed for: subgraphs take the request's own from the `x-request-id` header the router sends with
 * it (kernel/identity.ts, createIdentityVerifier). The replay window is unchanged: a token lived its full minute before.
 */
export function createIdentityTokens(signing: SigningKey, options: IdentityTokenOptions = {}): IdentityTokens {
  const reuseMs = options.reuseMs ?? (IDENTITY_TTL_SECONDS * 1000) / 2;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const tokens = new Map<string, { token: Promise<string>; until: number }>();
  return {
    tokenFor(identity, subgraph) {
      const key = callerKey(identity, subgraph);
      const at = now();
      const kept = tokens.get(key);
      if (kept && kept.until > at) return kept.token;
      tokens.delete(key);
      // A Map iterates in insertion order: the first key is the oldest token.
      if (tokens.size >= maxEntries) tokens.delete(tokens.keys().next().value as string);
      const token = signIdentity(signing, identity, subgraph);
      const entry = { token, until: at + reuseMs };
      tokens.set(key, entry);
      token.catch(() => {
        if (tokens.get(key) === entry) tokens.delete(key);
      });
      return token;
    },
  };
}
