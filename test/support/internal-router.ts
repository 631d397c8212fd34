import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyServiceToken } from '../../kernel/identity';
import { publicKeys } from '../../kernel/keys';
import { readManifest } from '../../kernel/persisted';
import { type BanEntry, INTERNAL_API } from '../../realtime/src/ban-snapshot';

export interface FakeInternalRouter {
  url: string;
  /** The bans in force it lists, in its order. */
  bans: BanEntry[];
  pageSize: number;
  /** Answers 503 to every request while set, as a router that is down. */
  failing: boolean;
  pagesServed: number;
  close(): Promise<void>;
}

/**
 * The router as rt-gtw sees it at start: the Internal API's ActiveChatBans, for rt-gtw's service token only, in
 * pages. The chat subgraph's own list has its spec (moderation.service.medium.spec.ts); this plays the graph.
 */
export async function fakeInternalRouter(servicePublicKeys: string): Promise<FakeInternalRouter> {
  const keys = publicKeys('service public keys').parse(servicePublicKeys);
  const operationId = readManifest(INTERNAL_API).operations.find((op) => op.name === 'ActiveChatBans')?.id;
  const answer = (status: number, body: unknown) => ({ status, body: JSON.stringify(body) });
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const reply = await (async () => {
      if (router.failing) return answer(503, { errors: [{ message: 'down', extensions: { code: 'UNAVAILABLE' } }] });
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!token || !(await verifyServiceToken(keys, token)).ok)
        return answer(401, { errors: [{ message: 'no', extensions: { code: 'UNAUTHENTICATED' } }] });
      const body = JSON.parse(text) as {
        variables: { after: string | null };
        extensions: { api: string; persistedQuery: { sha256Hash: string } };
      };
      if (body.extensions.api !== INTERNAL_API || body.extensions.persistedQuery.sha256Hash !== operationId)
        return answer(400, { errors: [{ message: 'unknown operation', extensions: { code: 'OPERATION_NOT_PERSISTED' } }] });
      const start = body.variables.after === null ? 0 : Number(body.variables.after);
      const end = start + router.pageSize;
      router.pagesServed += 1;
      const nodes = router.bans
        .slice(start, end)
        .map((ban) => ({ channelId: ban.channelId, user: { id: ban.userId }, expiresAt: ban.expiresAt }));
      return answer(200, { data: { activeChatBans: { nodes, endCursor: end < router.bans.length ? String(end) : null } } });
    })();
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const router: FakeInternalRouter = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    bans: [],
    pageSize: 1000,
    failing: false,
    pagesServed: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return router;
}
