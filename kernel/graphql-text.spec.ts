import { ApolloServer } from '@apollo/server';
import { storableTextPlugin } from './graphql-text';

describe(storableTextPlugin.name, () => {
  let titles: string[];
  const server = new ApolloServer({
    typeDefs: 'type Query { ok: Boolean } type Mutation { rename(title: String!): String }',
    resolvers: {
      Mutation: {
        rename: (_: unknown, { title }: { title: string }) => {
          titles.push(title);
          return title;
        },
      },
    },
    plugins: [storableTextPlugin()],
  });
  const rename = (title: string) =>
    server.executeOperation({ query: 'mutation R($title: String!) { rename(title: $title) }', variables: { title } });

  beforeAll(() => server.start());
  beforeEach(() => (titles = []));
  afterAll(() => server.stop());

  it('should run an operation whose variables hold storable text', async () => {
    const { body } = await rename('Speedrunning 🎮');
    expect(body.kind === 'single' && body.singleResult.data).toEqual({ rename: 'Speedrunning 🎮' });
    expect(titles).toEqual(['Speedrunning 🎮']);
  });

  it.each(['a\u0000b', 'lone \ud800'])(
    'should refuse %j with VALIDATION_FAILED naming the variable, before any resolver',
    async (title) => {
      const { http, body } = await rename(title);
      expect(http.status).toBe(400);
      const error = body.kind === 'single' ? body.singleResult.errors?.[0] : undefined;
      expect(error?.extensions).toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ field: 'variables.title' }] });
      expect(titles).toEqual([]);
    },
  );
});
