import type { Operation } from 'openapi-backend';
import type { PersistedOperation } from '../../kernel/persisted';
import { compileRoutes, pickResult, toPage } from './routes';

const persisted = (name: string, body: string): PersistedOperation => ({ id: `id-${name}`, name, type: 'query', body });

const manifest = [
  persisted('GetUser', 'query GetUser($login: String!) { user(login: $login) { id } }'),
  persisted('SignUp', 'mutation SignUp($input: SignUpInput!) { signUp(input: $input) { id } }'),
  persisted('Both', 'query Both { me { id } viewer: user(login: "x") { id } }'),
];

const operation = (fields: Record<string, unknown>): Operation =>
  ({ method: 'get', path: '/things', responses: { '200': { description: 'ok' } }, ...fields }) as Operation;

describe('compileRoutes', () => {
  it('compiles each operation from its extensions and its persisted operation', () => {
    const routes = compileRoutes(
      'test.v1',
      [
        operation({ operationId: 'GetUser', parameters: [{ name: 'login', in: 'path', required: true }], 'x-when-null': 'USER_NOT_FOUND' }),
        operation({
          operationId: 'SignUp',
          method: 'post',
          requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
          responses: { '400': { description: 'bad' }, '202': { description: 'accepted' }, '201': { description: 'created' } },
          'x-graphql-body-variable': 'input',
        }),
        operation({ operationId: 'Both', 'x-graphql-result': 'viewer.id' }),
      ],
      manifest,
    );

    expect(routes.get('GetUser')).toMatchObject({
      id: 'id-GetUser',
      status: 200,
      resultPath: ['user'],
      page: false,
      whenNull: 'USER_NOT_FOUND',
    });
    expect(routes.get('SignUp')).toMatchObject({ status: 201, resultPath: ['signUp'] });
    expect(routes.get('SignUp')?.bodyVariables({ login: 'x' })).toEqual({ input: { login: 'x' } });
    expect(routes.get('GetUser')?.bodyVariables({ login: 'x' })).toEqual({});
    expect(routes.get('Both')?.resultPath).toEqual(['viewer', 'id']);
  });

  it('spreads the body fields into variables without x-graphql-body-variable', () => {
    const routes = compileRoutes(
      'test.v1',
      [
        operation({
          operationId: 'GetUser',
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { login: { type: 'string' } } } } } },
        }),
      ],
      manifest,
    );

    expect(routes.get('GetUser')?.bodyVariables({ login: 'x' })).toEqual({ login: 'x' });
  });

  it('refuses a document that disagrees with its operations, listing every problem', () => {
    const compile = () =>
      compileRoutes(
        'test.v1',
        [
          operation({ operationId: 'GetUsers' }),
          operation({ operationId: 'DeleteUser', method: 'delete' }),
          operation({ path: '/anonymous' }),
          operation({ operationId: 'GetUser', parameters: [{ name: 'name', in: 'query' }], 'x-when-null': 'NOT_A_CODE' }),
          operation({ operationId: 'SignUp', requestBody: { content: {} }, 'x-graphql-body-variable': 'data', responses: {} }),
          operation({ operationId: 'Both' }),
        ],
        manifest,
      );

    expect(compile).toThrow(
      [
        'the test.v1 OpenAPI document does not match its operations:',
        '  - GET /things: operationId GetUsers is not a persisted operation of test.v1',
        '  - DELETE /things: operationId DeleteUser is not a persisted operation of test.v1',
        '  - GET /anonymous: operationId (none) is not a persisted operation of test.v1',
        '  - GET /things (GetUser): x-when-null must be a code of kernel/errors.ts',
        '  - GET /things (SignUp): x-graphql-body-variable data is not a variable of the operation',
        '  - GET /things (SignUp): no 2xx response',
        '  - GET /things (Both): not exactly one root field: x-graphql-result must name the result',
      ].join('\n'),
    );
  });

  it('refuses parameters that are not variables of the operation', () => {
    expect(() =>
      compileRoutes('test.v1', [operation({ operationId: 'GetUser', parameters: [{ name: 'name', in: 'query' }] })], manifest),
    ).toThrow('GET /things (GetUser): parameter name is not a variable of the operation');
  });
});

describe('pickResult', () => {
  it('follows the path and answers null when anything along it is missing', () => {
    expect(pickResult({ channel: { followers: { totalCount: 1 } } }, ['channel', 'followers'])).toEqual({ totalCount: 1 });
    expect(pickResult({ channel: null }, ['channel', 'followers'])).toBeNull();
    expect(pickResult({}, ['channel'])).toBeNull();
    expect(pickResult(null, ['channel'])).toBeNull();
  });
});

describe('toPage', () => {
  it('answers the Helix page shape, with a cursor only when another page follows', () => {
    const nodes = [{ followedAt: 'x' }];
    expect(toPage({ totalCount: 5, nodes, pageInfo: { endCursor: 'c1', hasNextPage: true } })).toEqual({
      data: nodes,
      total: 5,
      pagination: { cursor: 'c1' },
    });
    expect(toPage({ totalCount: 1, nodes, pageInfo: { endCursor: 'c1', hasNextPage: false } }).pagination).toEqual({});
    expect(toPage({ totalCount: 0, nodes: [], pageInfo: { endCursor: null, hasNextPage: false } }).pagination).toEqual({});
  });

  it('keeps the other fields selected on the connection', () => {
    expect(toPage({ totalCount: 3, unreadCount: 2, nodes: [], pageInfo: { endCursor: null, hasNextPage: false } })).toEqual({
      data: [],
      total: 3,
      unreadCount: 2,
      pagination: {},
    });
  });
});
