import { randomUUID } from 'node:crypto';
import { issueServiceToken, REQUEST_ID_HEADER } from '../../kernel/identity';
import type { SigningKey } from '../../kernel/keys';
import type { Logger } from '../../kernel/log';
import { readManifest } from '../../kernel/persisted';

/** A ban or unexpired timeout in force: `expiresAt` null for a permanent ban. */
export interface BanEntry {
  channelId: string;
  userId: string;
  expiresAt: string | null;
}

/** Where a starting gateway reads the bans in force. */
export type BanSource = () => Promise<BanEntry[]>;

/** The router's API for the platform's own processes, and its operation listing the bans in force. */
export const INTERNAL_API = 'internal.v1';
const OPERATION = 'ActiveChatBans';

interface ActiveChatBansPage {
  nodes: { channelId: string; user: { id: string }; expiresAt: string | null }[];
  endCursor: string | null;
}

/**
 * The bans in force, read from the chat domain through the router as rt-gtw (a service token signed for each page),
 * page after page. Any answer but a complete page fails the whole read: a partial list would let banned users in.
 */
export function routerBanSource(routerUrl: string, signing: SigningKey, timeoutMs: number): BanSource {
  const operation = readManifest(INTERNAL_API).operations.find((op) => op.name === OPERATION);
  if (!operation) throw new Error(`${INTERNAL_API} has no ${OPERATION} operation: run npm run persisted`);
  const page = async (after: string | null): Promise<ActiveChatBansPage> => {
    const response = await fetch(routerUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await issueServiceToken(signing, 'rt-gtw')}`,
        [REQUEST_ID_HEADER]: randomUUID(),
      },
      body: JSON.stringify({
        variables: { after },
        extensions: { persistedQuery: { version: 1, sha256Hash: operation.id }, api: INTERNAL_API },
      }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => undefined)) as
      | { data?: { activeChatBans?: ActiveChatBansPage }; errors?: { extensions?: { code?: string } }[] }
      | undefined;
    const bans = body?.data?.activeChatBans;
    if (!response.ok || body?.errors?.length || !bans) {
      throw new Error(`the router answered ${response.status} ${body?.errors?.map((e) => e.extensions?.code).join(', ') ?? ''}`.trim());
    }
    return bans;
  };
  return async () => {
    const entries: BanEntry[] = [];
    let after: string | null = null;
    do {
      const { nodes, endCursor }: ActiveChatBansPage = await page(after);
      for (const node of nodes) entries.push({ channelId: node.channelId, userId: node.user.id, expiresAt: node.expiresAt });
      after = endCursor;
    } while (after);
    return entries;
  };
}

/** The waits between failed reads: doubling from the first, never longer than the last. */
export const BAN_RETRY_MS = { first: 250, max: 10_000 } as const;

/**
 * Reads the bans until a read succeeds, handing them to `read`, or until `signal` aborts; waits longer after each
 * failure (the router may be starting, or down). `attempted` is called once the first read succeeded or failed, so
 * a gateway can start serving (unready) instead of waiting for a router that is down.
 */
export async function readBansUntilRead(
  source: BanSource,
  log: Logger,
  signal: AbortSignal,
  read: (entries: BanEntry[]) => void,
  attempted: () => void = () => undefined,
): Promise<void> {
  let wait: number = BAN_RETRY_MS.first;
  for (let attempt = 1; !signal.aborted; attempt += 1) {
    try {
      read(await source());
      return;
    } catch (error) {
      log.warn({ err: error, attempt, retryInMs: wait }, 'bans in force not read: unready, retrying');
    } finally {
      if (attempt === 1) attempted();
    }
    // The listener goes with its wait: a router down for long must not pile one up on the signal per attempt.
    await new Promise<void>((resolve) => {
      const aborted = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', aborted);
        resolve();
      }, wait);
      signal.addEventListener('abort', aborted, { once: true });
    });
    wait = Math.min(wait * 2, BAN_RETRY_MS.max);
  }
}
