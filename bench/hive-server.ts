import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { signingKey } from '../kernel/keys';
import { IDENTITY_HEADER } from '../kernel/identity';
import { fromRoot } from '../kernel/paths';
import { loadPersistedOperations } from '../kernel/persisted';
import { createIdentityTokens } from '../router/src/identity-tokens';

/**
 * The `hive` target of `npm run bench`: The Guild's Hive Gateway (its runtime, @graphql-hive/gateway-runtime, the
 * engine of the `hive-gateway` CLI) on node:http, serving the same supergraph from the same subgraphs, with the
 * platform's persisted operations as its persisted documents (Apollo's `extensions.persistedQuery.sha256Hash`,
 * which the gateway reads by default) and nothing else. Usage reporting is off (no `reporting`), so are the
 * landing page, GraphiQL and logging: nothing leaves 127.0.0.1.
 *
 * The subgraphs answer only a signed identity: a gateway plugin signs it as the router does, with the router's
 * key and code (router/src/identity-tokens.ts, a token per caller and subgraph reused while fresh), for the
 * anonymous caller at the client's address, and sets it on each subgraph call.
 *
 * argv: port, then the subgraphs' URLs as name=url; env: IDENTITY_SIGNING_KEY.
 */
const port = Number(process.argv[2]);
const urls = Object.fromEntries(process.argv.slice(3).map((pair) => pair.split('=', 2) as [string, string]));
const subgraphOf = new Map(Object.entries(urls).map(([name, url]) => [url, name]));

// The composed supergraph names where `npm start` runs each subgraph: the bench's processes run elsewhere.
const supergraph = readFileSync(fromRoot('schema', 'supergraph.graphql'), 'utf8').replace(
  /@join__graph\(name: "([a-z]+)", url: "[^"]*"\)/g,
  (whole, name: string) => (urls[name] ? `@join__graph(name: "${name}", url: "${urls[name]}")` : whole),
);

const documents = new Map<string, string>();
for (const operation of loadPersistedOperations().values()) documents.set(operation.id, operation.body);

const tokens = createIdentityTokens(signingKey('IDENTITY_SIGNING_KEY').parse(process.env.IDENTITY_SIGNING_KEY));
let requests = 0;

/** What this server uses of the runtime. */
interface FetchHook {
  url: string;
  options: { headers?: unknown };
  setOptions(options: { headers?: unknown }): void;
}
interface HiveGatewayRuntime {
  createGatewayRuntime(config: Record<string, unknown>): Parameters<typeof createServer>[0];
}
// Loaded untyped: its declarations bring the DOM's fetch types into the whole program, where Node's are meant.
const { createGatewayRuntime } = require('@graphql-hive/gateway-runtime') as HiveGatewayRuntime;

const signedIdentity = {
  async onFetch({ url, options, setOptions }: FetchHook) {
    const subgraph = subgraphOf.get(url);
    if (!subgraph) return;
    requests += 1;
    const token = await tokens.tokenFor({ kind: 'anonymous', ip: '127.0.0.1', requestId: `hive-${requests}` }, subgraph);
    setOptions({ ...options, headers: { ...(options.headers as Record<string, string>), [IDENTITY_HEADER]: token } });
  },
};

const gateway = createGatewayRuntime({
  supergraph,
  persistedDocuments: { getPersistedOperation: (key: string) => documents.get(key) ?? null },
  plugins: () => [signedIdentity],
  landingPage: false,
  graphiql: false,
  logging: false,
});

createServer(gateway).listen(port, '127.0.0.1', () => process.send?.('ready'));
// The runtime handles SIGTERM by disposing of itself and leaves the server listening: the bench's SIGTERM ends it.
process.on('SIGTERM', () => process.exit(0));
