import { parse } from 'graphql';
import { readManifest } from '../../kernel/persisted';
import { cachePolicyOf, loadCacheHints, readCacheHints } from './cache-policy';
import { cacheControl } from './graphql-endpoint';

const hints = readCacheHints([
  parse(`
    type Query { channel(id: ID!): Channel  me: User @cacheControl(scope: PRIVATE)  ping: String  version: String @cacheControl(maxAge: 300)  search: [Result!]! }
    type Channel @key(fields: "id") @cacheControl(maxAge: 30) { id: ID!  title: String!  links: [Link!]!  owner: User!  counts: Counts!  secret: String @cacheControl(scope: PRIVATE) }
    type Link @cacheControl(inheritMaxAge: true) { url: String! }
    type Counts { followers: Int! }
    union Result = Channel | User
  `),
  parse(`
    type User @key(fields: "id") @cacheControl(maxAge: 60) { id: ID!  login: String! }
    type Channel @key(fields: "id") { id: ID!  stream: Stream @cacheControl(maxAge: 5)  live: Boolean! @cacheControl(maxAge: 2, scope: PUBLIC) }
    type Stream @cacheControl(maxAge: 10) { id: ID! }
  `),
]);

const policy = (query: string) => cachePolicyOf(parse(query), hints);

describe('cachePolicyOf: Apollo’s cache policy of an operation, from the subgraphs’ hints', () => {
  it('takes the type’s hint for a root field returning it, and scalars inherit', () => {
    expect(policy('{ channel(id: "1") { id title } }')).toEqual({ maxAge: 30, scope: 'PUBLIC' });
  });

  it('takes the lowest maxAge of every field, whichever subgraph hints it', () => {
    expect(policy('{ channel(id: "1") { id owner { login } } }')).toEqual({ maxAge: 30, scope: 'PUBLIC' });
    expect(policy('{ channel(id: "1") { id stream { id } } }')).toEqual({ maxAge: 5, scope: 'PUBLIC' });
    expect(policy('{ channel(id: "1") { live } }')).toEqual({ maxAge: 2, scope: 'PUBLIC' });
  });

  it('is PRIVATE when any field or type says so', () => {
    expect(policy('{ channel(id: "1") { secret } }')).toEqual({ maxAge: 30, scope: 'PRIVATE' });
    expect(policy('{ me { login } }')).toEqual({ maxAge: 60, scope: 'PRIVATE' });
  });

  it('does not cache a root field or an object field without a hint, unless it inherits', () => {
    expect(policy('{ ping }')).toEqual({ maxAge: 0, scope: 'PUBLIC' });
    expect(policy('{ version }')).toEqual({ maxAge: 300, scope: 'PUBLIC' });
    expect(policy('{ channel(id: "1") { counts { followers } } }')).toEqual({ maxAge: 0, scope: 'PUBLIC' });
    expect(policy('{ channel(id: "1") { links { url } } }')).toEqual({ maxAge: 30, scope: 'PUBLIC' });
  });

  it('counts every possible type of an abstract one, through inline fragments', () => {
    expect(policy('{ search { ... on Channel { id stream { id } } ... on User { login } } }')).toEqual({ maxAge: 5, scope: 'PUBLIC' });
    expect(policy('{ search { __typename } }')).toEqual({ maxAge: 30, scope: 'PUBLIC' });
  });

  it('refuses a field no subgraph has, rather than guessing', () => {
    expect(() => policy('{ channel(id: "1") { nothing } }')).toThrow('Channel.nothing');
  });

  it('gives the apps’ channel page the stream’s five seconds, shareable', () => {
    const page = readManifest('app.v1').operations.find((op) => op.name === 'ChannelPage')!;
    expect(cachePolicyOf(parse(page.body), loadCacheHints())).toEqual({ maxAge: 5, scope: 'PUBLIC' });
  });
});

describe('cacheControl', () => {
  it('shares anonymous answers only, and stores none that may not be cached', () => {
    expect(cacheControl({ maxAge: 5, scope: 'PUBLIC' }, false)).toBe('public, max-age=5');
    expect(cacheControl({ maxAge: 5, scope: 'PUBLIC' }, true)).toBe('private, max-age=5');
    expect(cacheControl({ maxAge: 5, scope: 'PRIVATE' }, false)).toBe('private, max-age=5');
    expect(cacheControl({ maxAge: 0, scope: 'PUBLIC' }, false)).toBe('no-store');
  });
});
