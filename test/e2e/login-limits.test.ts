import { randomBytes } from 'node:crypto';
import { createMemoryBus } from '../../kernel/bus/memory';
import { IDENTITY_HEADER, signIdentity } from '../../kernel/identity';
import { createLogger } from '../../kernel/log';
import { startUserStoreSvc } from '../../subgraphs/user/src';
import { userStoreConfigSchema } from '../../subgraphs/user/src/config';
import { call, signUpAndLogIn, startTestPlatform, type TestPlatform } from '../support/platform';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Password guessing is slowed per account and per address, with Retry-After, and across instances via Redis. */
describe('login limits', () => {
  const platforms: TestPlatform[] = [];

  afterAll(async () => {
    for (const platform of platforms) await platform.stop();
  });

  const start = async (env: Record<string, string>) => {
    const platform = await startTestPlatform(createMemoryBus(), env);
    platforms.push(platform);
    return platform;
  };
  const logIn = (api: string, login: string, password: string) => call(`${api}/sessions`, { method: 'POST', body: { login, password } });

  it('should lock an account after repeated failures, even for the right password, and not its neighbours', async () => {
    const { api } = await start({ LOGIN_ACCOUNT_FAILURES: '3' });
    const victim = await signUpAndLogIn(api, 'victim');
    const neighbour = await signUpAndLogIn(api, 'neighbour');
    for (let i = 0; i < 3; i += 1) expect((await logIn(api, victim.login, 'wrong-password')).status).toBe(401);
    const locked = await logIn(api, victim.login, victim.password);
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('RATE_LIMITED');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await logIn(api, neighbour.login, neighbour.password)).status).toBe(201);
  }, 60_000);

  it('should limit attempts per address whatever the account', async () => {
    const { api } = await start({ LOGIN_IP_ATTEMPTS_PER_MINUTE: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await logIn(api, `nobody_${i}_${randomBytes(3).toString('hex')}`, 'whatever-pw')).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  }, 60_000);

  it('should hold across two instances of the user domain sharing Redis', async () => {
    const platform = await start({ REDIS_URL, LOGIN_ACCOUNT_FAILURES: '2' });
    const second = await startUserStoreSvc(
      userStoreConfigSchema.parse({
        DATABASE_URL: platform.databaseUrl,
        ...platform.keysEnv,
        USER_STORE_PORT: '0',
        REDIS_URL,
        LOGIN_ACCOUNT_FAILURES: '2',
      }),
      createMemoryBus(),
      createLogger('second', 'silent'),
    );
    try {
      const user = await signUpAndLogIn(platform.api, 'shared');
      for (let i = 0; i < 2; i += 1) expect((await logIn(platform.api, user.login, 'wrong-password')).status).toBe(401);
      const identity = await signIdentity(platform.keys.identity, { kind: 'anonymous', requestId: 'second-instance' }, 'user');
      const res = await call(`${second.url}/graphql`, {
        method: 'POST',
        headers: { [IDENTITY_HEADER]: identity },
        body: {
          query: 'mutation($login: String!, $password: String!) { logIn(login: $login, password: $password) { accessToken } }',
          variables: { login: user.login, password: user.password },
        },
      });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    } finally {
      await second.stop();
    }
  }, 60_000);
});
