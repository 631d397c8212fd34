/**
 * Signed tokens whose signature was checked, each kept with what it gave until it expires. A signed token cannot
 * change and the keys are the process's for its life, so checking the same token again finds the same; callers
 * send the same token with every request of its lifetime. At most `kept` tokens, the oldest dropped first. Only
 * valid tokens go in: a flood of forged ones must not push out real callers'.
 */
export interface VerifiedTokens<T> {
  get(token: string): T | undefined;
  /** `expiresAt` (epoch ms) is the instant the verifier would refuse the token: its `exp`. */
  set(token: string, value: T, expiresAt: number): void;
}

export function verifiedTokens<T>({ kept, now = Date.now }: { kept: number; now?: () => number }): VerifiedTokens<T> {
  const entries = new Map<string, { value: T; expiresAt: number }>();
  return {
    get: (token) => {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (entry.expiresAt > now()) return entry.value;
      entries.delete(token);
      return undefined;
    },
    set: (token, value, expiresAt) => {
      if (entries.size >= kept) entries.delete(entries.keys().next().value as string);
      entries.set(token, { value, expiresAt });
    },
  };
}
