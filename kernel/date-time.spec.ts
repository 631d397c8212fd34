import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse } from 'graphql';
import { formatDateTimeFields } from './date-time';

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  directive @dateTime on FIELD_DEFINITION
  type Query { post: Post }
  type Post @key(fields: "id") {
    id: ID!
    createdAt: String! @dateTime
    editedAt: String @dateTime
    loadedAt: String! @dateTime
    title: String!
  }
`);

const at = new Date('2026-11-27T14:05:09.123Z');

function run(post: Record<string, unknown>, loadedAt: () => unknown = () => at) {
  const schema = formatDateTimeFields(
    buildSubgraphSchema([{ typeDefs, resolvers: { Query: { post: () => post }, Post: { loadedAt: () => loadedAt() } } }]),
  );
  return graphql({ schema, source: '{ post { createdAt editedAt loadedAt title } }' });
}

describe(formatDateTimeFields.name, () => {
  it('sends the Date a @dateTime field resolves to (by the default resolver or its own) as an ISO 8601 string', async () => {
    const result = await run({ createdAt: at, editedAt: null, title: 'x' }, () => Promise.resolve(at));
    expect(result).toEqual({
      data: { post: { createdAt: '2026-11-27T14:05:09.123Z', editedAt: null, loadedAt: '2026-11-27T14:05:09.123Z', title: 'x' } },
    });
  });

  it('leaves fields without the directive alone', async () => {
    const result = await run({ createdAt: at, editedAt: at, title: at.toISOString() });
    expect(result.data?.post).toMatchObject({ editedAt: at.toISOString(), title: at.toISOString() });
  });

  it('fails the field when its resolver answers something other than a Date, rather than sending it as it is', async () => {
    const result = await run({ createdAt: at, editedAt: '2026-11-27', title: 'x' }, () => 1764252309123);
    expect(result.errors?.map((error) => [error.path?.join('.'), error.message])).toEqual([
      ['post.editedAt', 'a @dateTime field resolved to string, not a Date'],
      ['post.loadedAt', 'a @dateTime field resolved to number, not a Date'],
    ]);
  });
});
