import { type ConfigError, parseConfig } from '../../kernel/config';
import { restFacadeConfigSchema } from './config';

describe('restFacadeConfigSchema', () => {
  it('needs only the router URL', () => {
    expect(parseConfig(restFacadeConfigSchema, { ROUTER_URL: 'http://127.0.0.1:4100/graphql' })).toEqual({
      REST_FACADE_PORT: 4000,
      REST_FACADE_HOST: '127.0.0.1',
      TRUSTED_PROXIES: [],
      ROUTER_URL: 'http://127.0.0.1:4100/graphql',
      ROUTER_TIMEOUT_MS: 10_000,
      REST_FACADE_MAX_IN_FLIGHT: 64,
      OAUTH_INTROSPECTION_URL: 'http://127.0.0.1:4010/oauth/introspect',
      LOG_LEVEL: 'info',
    });
  });

  it('lists every problem at once', () => {
    let problems: string[] = [];
    try {
      parseConfig(restFacadeConfigSchema, { REST_FACADE_PORT: 'eighty', ROUTER_TIMEOUT_MS: '0' });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^REST_FACADE_PORT: /),
      'ROUTER_URL: is required (the router, e.g. http://127.0.0.1:4100/graphql)',
      expect.stringMatching(/^ROUTER_TIMEOUT_MS: /),
    ]);
  });

  it('refuses a router URL that is not http(s)', () => {
    expect(() => parseConfig(restFacadeConfigSchema, { ROUTER_URL: 'ftp://router/graphql' })).toThrow('ROUTER_URL: must be an http(s) URL');
  });
});
