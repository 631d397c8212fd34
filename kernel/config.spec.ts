import { ConfigError, parseConfig } from './config';
import { generatedKeysEnv } from './keys';
import { routerConfigSchema } from '../router/src/config';
import { withSubgraphUrls } from '../router/src/subgraphs';

const schema = withSubgraphUrls(routerConfigSchema, [
  { name: 'user', urlEnv: 'USER_SUBGRAPH_URL', defaultUrl: 'http://127.0.0.1:4001/graphql' },
]);

describe(parseConfig.name, () => {
  it('should list every problem at once', () => {
    let error: unknown;
    try {
      parseConfig(schema, { ROUTER_PORT: 'eighty', ACCESS_TOKEN_PUBLIC_KEYS: '{"keys":[]}', USER_SUBGRAPH_URL: 'not a url' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'ROUTER_PORT',
      'ACCESS_TOKEN_PUBLIC_KEYS',
      'STAFF_TOKEN_PUBLIC_KEYS',
      'IDENTITY_SIGNING_KEY',
      'USER_SUBGRAPH_URL',
    ]) {
      expect(problems).toContain(name);
    }
  });

  it('should apply defaults to a valid environment', () => {
    const config = parseConfig(schema, {
      ...generatedKeysEnv(),
      OAUTH_ROUTER_CLIENT_SECRET: 'c'.repeat(32),
    });
    expect(config).toMatchObject({
      ROUTER_PORT: 4100,
      LOG_LEVEL: 'info',
      OAUTH_INTROSPECTION_CACHE_MS: 500,
      PUBLIC_RATE_LIMIT_POINTS: 800,
    });
  });
});
