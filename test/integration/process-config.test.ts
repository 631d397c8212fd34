import { spawnSync } from 'node:child_process';
import { ALL_ROWS } from '../../bin/processes';
import { builtPlatformEntry } from '../support/build';
import { childEnv } from '../support/child-env';
import { generateSigningKey } from '../../kernel/keys';

/** Each process refuses to start on a bad environment and names every problem (run from the build). */
describe('process entry point', () => {
  let entry: string;

  beforeAll(() => {
    entry = builtPlatformEntry();
  });

  const run = (name: string, env: Record<string, string>) =>
    spawnSync(process.execPath, [entry, name], { env: childEnv(env), encoding: 'utf8', timeout: 20_000 });

  it.each([
    [
      'router-gtw',
      { ROUTER_PORT: 'x' },
      [
        'ROUTER_PORT',
        'ACCESS_TOKEN_PUBLIC_KEYS',
        'STAFF_TOKEN_PUBLIC_KEYS',
        'SERVICE_TOKEN_PUBLIC_KEYS',
        'IDENTITY_SIGNING_KEY',
        'OAUTH_ROUTER_CLIENT_SECRET',
      ],
    ],
    [
      'user-store-svc',
      { DATABASE_URL: 'mysql://nope' },
      ['DATABASE_URL', 'ACCESS_TOKEN_SIGNING_KEY', 'STAFF_TOKEN_SIGNING_KEY', 'IDENTITY_PUBLIC_KEYS', 'REDIS_URL'],
    ],
    ['chnl-provision-wkr', {}, ['DATABASE_URL']],
    ['chat-store-svc', { CHAT_STORE_PORT: '-1' }, ['CHAT_STORE_PORT', 'DATABASE_URL', 'IDENTITY_PUBLIC_KEYS', 'REDIS_URL']],
    ['chat-provision-wkr', {}, ['DATABASE_URL']],
    ['live-store-svc', { LIVE_PROVIDER: 'mux' }, ['DATABASE_URL', 'IDENTITY_PUBLIC_KEYS', 'LIVE_KEY_ENCRYPTION_KEY']],
    ['live-webhooks-wkr', { LIVE_RECONNECT_WINDOW_SECONDS: '-1' }, ['DATABASE_URL', 'LIVE_RECONNECT_WINDOW_SECONDS']],
    ['live-viewers-wkr', { LIVE_VIEWERS_HEALTH_PORT: 'x' }, ['DATABASE_URL', 'LIVE_VIEWERS_HEALTH_PORT']],
    ['rest-facade-gtw', {}, ['ROUTER_URL']],
    ['user-oauth-svc', {}, ['DATABASE_URL', 'ACCESS_TOKEN_PUBLIC_KEYS', 'OAUTH_ROUTER_CLIENT_SECRET', 'OAUTH_COOKIE_KEYS']],
    [
      'rt-gtw',
      { RT_PORT: 'x', RT_MAX_BUFFERED_BYTES: '1', REDIS_URL: 'http://nope', RT_VIEWER_REPORT_INTERVAL_MS: '10' },
      [
        'RT_PORT',
        'ACCESS_TOKEN_PUBLIC_KEYS',
        'SERVICE_TOKEN_SIGNING_KEY',
        'RT_MAX_BUFFERED_BYTES',
        'REDIS_URL',
        'RT_VIEWER_REPORT_INTERVAL_MS',
      ],
    ],
  ])('%s should exit 78 listing every problem', (name, env, problems) => {
    const result = run(name, env);
    expect(result.status).toBe(78);
    for (const problem of problems) expect(result.stderr).toContain(problem);
  });

  it('should require Kafka brokers for a process running alone', () => {
    const result = run('chnl-store-svc', {
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x',
      IDENTITY_PUBLIC_KEYS: generateSigningKey().publicKeys,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('KAFKA_BROKERS');
  });

  it('should name the processes it knows for an unknown one', () => {
    const result = run('nope-svc', {});
    expect(result.status).toBe(2);
    for (const name of [...Object.keys(ALL_ROWS), 'all']) expect(result.stderr).toContain(name);
  });
});
