import { ConfigError, parseConfig } from '../../kernel/config';
import { generatedKeysEnv } from '../../kernel/keys';
import { routerConfigSchema } from './config';

describe('router readiness settings', () => {
  const env = { ...generatedKeysEnv(), OAUTH_ROUTER_CLIENT_SECRET: 'c'.repeat(32) };

  it('should default to a round a second, 2 s a probe and 3 failures in a row', () => {
    expect(parseConfig(routerConfigSchema, env)).toMatchObject({
      ROUTER_READINESS_INTERVAL_MS: 1000,
      ROUTER_READINESS_TIMEOUT_MS: 2000,
      ROUTER_READINESS_FAILURES: 3,
    });
  });

  it('should refuse settings that would hide an outage for long or probe without pause', () => {
    let error: unknown;
    try {
      parseConfig(routerConfigSchema, {
        ...env,
        ROUTER_READINESS_INTERVAL_MS: '10',
        ROUTER_READINESS_TIMEOUT_MS: '60000',
        ROUTER_READINESS_FAILURES: '0',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['ROUTER_READINESS_INTERVAL_MS', 'ROUTER_READINESS_TIMEOUT_MS', 'ROUTER_READINESS_FAILURES']) {
      expect(problems).toContain(name);
    }
  });
});
