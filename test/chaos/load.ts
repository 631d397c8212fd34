/** The client side of a case: sign-ups through the REST facade, as many at once as `concurrency`. */

export interface Reply {
  index: number;
  /** 0 when no answer came (connection refused, reset, or the client's timeout). */
  status: number;
  retryAfter: string | null;
  startedAt: number;
  ms: number;
}

export interface LoadOptions {
  api: string;
  prefix: string;
  count: number;
  concurrency: number;
  /** Spread the requests over at least this long, so that faults scheduled along the way find load. */
  minSeconds?: number;
  timeoutMs?: number;
  /** Called after each answer with the number answered so far. */
  onProgress?: (done: number) => void;
}

export const loginOf = (prefix: string, index: number) => `${prefix}${String(index).padStart(6, '0')}`;

export async function signUp(api: string, login: string, timeoutMs: number): Promise<Omit<Reply, 'index'>> {
  const startedAt = Date.now();
  try {
    const reply = await fetch(`${api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login, email: `${login}@chaos.test`, password: 'chaos-password-1' }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await reply.arrayBuffer();
    return { status: reply.status, retryAfter: reply.headers.get('retry-after'), startedAt, ms: Date.now() - startedAt };
  } catch {
    return { status: 0, retryAfter: null, startedAt, ms: Date.now() - startedAt };
  }
}

export async function signUps(options: LoadOptions): Promise<Reply[]> {
  const { count, concurrency } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const spacingMs = ((options.minSeconds ?? 0) * 1000) / count;
  const began = Date.now();
  const replies: Reply[] = [];
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < count; index = next++) {
      const due = began + index * spacingMs;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      replies.push({ index, ...(await signUp(options.api, loginOf(options.prefix, index), timeoutMs)) });
      options.onProgress?.(replies.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return replies.sort((a, b) => a.index - b.index);
}

/** A seeded generator (mulberry32): the same seed schedules the same faults at the same points. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function until<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
