import { Agent, createServer, type IncomingMessage, request } from 'node:http';
import { KEPT_ALIVE } from '../kernel/http';
import { IDENTITY_HEADER, REQUEST_ID_HEADER } from '../kernel/identity';
import { signingKey } from '../kernel/keys';
import { createIdentityTokens } from '../router/src/identity-tokens';

/**
 * The `orchestrate` target of `npm run bench`: the floor any gateway pays for GetUserByLogin. No planning, no
 * validation: the two subgraph calls of the operation's query plan, as the router's planner writes them
 * (@apollo/query-planner on schema/supergraph.graphql: user, then chnl's User entity), in sequence, over kept-alive node:http connections, each with the identity the
 * router would send (signed by the router's own code, reused while fresh), and the two answers merged. The bench
 * checks that its answer is the router's before measuring it.
 *
 * argv: port, the user subgraph's URL, the chnl subgraph's URL; env: IDENTITY_SIGNING_KEY.
 */
const [port, userUrl, chnlUrl] = [Number(process.argv[2]), process.argv[3], process.argv[4]];

const USER_FETCH = 'query GetUserByLogin__user__0($login:String!){user(login:$login){__typename id login displayName createdAt}}';
const CHNL_FETCH =
  'query GetUserByLogin__chnl__1($representations:[_Any!]!){_entities(representations:$representations){...on User{channel{id title category language tags followerCount followedByViewer}}}}';

const agent = new Agent(KEPT_ALIVE);
const tokens = createIdentityTokens(signingKey('IDENTITY_SIGNING_KEY').parse(process.env.IDENTITY_SIGNING_KEY));

const readBody = (stream: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
}

async function call(url: string, subgraph: string, requestId: string, query: string, variables: unknown): Promise<GraphQLAnswer> {
  const body = JSON.stringify({ query, variables });
  const identity = await tokens.tokenFor({ kind: 'anonymous', ip: '127.0.0.1', requestId }, subgraph);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          [IDENTITY_HEADER]: identity,
          [REQUEST_ID_HEADER]: requestId,
        },
      },
      (res) => readBody(res).then((text) => resolve(JSON.parse(text) as GraphQLAnswer), reject),
    );
    req.on('error', reject);
    req.end(body);
  });
}

let served = 0;

async function getUserByLogin(login: unknown): Promise<GraphQLAnswer> {
  served += 1;
  const requestId = `orchestrate-${served}`;
  const first = await call(userUrl, 'user', requestId, USER_FETCH, { login });
  const user = first.data?.user as ({ __typename: string; id: string } & Record<string, unknown>) | null | undefined;
  if (first.errors || !user) return first;
  const second = await call(chnlUrl, 'chnl', requestId, CHNL_FETCH, { representations: [{ __typename: 'User', id: user.id }] });
  if (second.errors) return second;
  const { __typename: _, ...fields } = user;
  const entity = (second.data?._entities as { channel: unknown }[] | undefined)?.[0];
  return { data: { user: { ...fields, channel: entity?.channel ?? null } } };
}

createServer((req, res) => {
  readBody(req)
    .then((text) => getUserByLogin((JSON.parse(text) as { variables?: { login?: unknown } }).variables?.login))
    .then(
      (answer) => {
        const body = JSON.stringify(answer);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      },
      (error: Error) => res.writeHead(502, { 'content-type': 'text/plain' }).end(error.message),
    );
}).listen(port, '127.0.0.1', () => process.send?.('ready'));
