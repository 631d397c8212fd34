import { randomBytes } from 'node:crypto';
import { startAllProcesses } from '../../bin/everything';
import { portsEnv } from '../../bin/processes';
import { createMemoryBus } from '../../kernel/bus/memory';
import { generatedKeysEnv } from '../../kernel/keys';
import { createLogger } from '../../kernel/log';
import { createScratchDatabase } from '../support/database';

/**
 * `npm start`: the REST facade hands its requests to the router, and the router its calls to the subgraphs, in the
 * same process, without HTTP between them.
 */
describe('the platform in one process', () => {
  const bus = createMemoryBus();
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;
  let platform: Awaited<ReturnType<typeof startAllProcesses>>;

  beforeAll(async () => {
    database = await createScratchDatabase();
    const secret = () => randomBytes(32).toString('base64url');
    platform = await startAllProcesses({
      env: {
        DATABASE_URL: database.url,
        ...generatedKeysEnv(),
        OAUTH_ROUTER_CLIENT_SECRET: secret(),
        LIVE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        ...portsEnv(0),
      },
      bus,
      logger: createLogger('test', 'silent'),
      without: ['user-oauth-svc'],
      inProcess: true,
    });
  }, 120_000);

  afterAll(async () => {
    for (const part of platform?.parts ?? []) await part.stop();
    await bus.close();
    await database?.drop();
  }, 60_000);

  it('should answer REST routes with the HTTP listeners of the router and of the subgraphs on the route closed', async () => {
    const { processes } = platform;
    for (const { server } of [processes['router-gtw'], processes['user-store-svc'], processes['chnl-store-svc']]) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    const api = `${platform.processes['rest-facade-gtw'].url}/private/v1`;

    const unknown = await fetch(`${api}/users/nobody_${randomBytes(4).toString('hex')}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'USER_NOT_FOUND' });
    const signUp = await fetch(`${api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'in_process', email: 'in_process@example.test', password: 'a-long-password' }),
    });
    expect(signUp.status).toBe(201);
    const profile = await fetch(`${api}/users/in_process`);
    expect(profile.status).toBe(200);
    // The channel comes from the chnl subgraph, once the sign-up's event has made it.
    let channel: unknown;
    for (let i = 0; i < 100 && !channel; i += 1) {
      channel = ((await (await fetch(`${api}/users/in_process`)).json()) as { channel?: unknown }).channel;
      if (!channel) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(channel).toMatchObject({ title: expect.any(String) });
  }, 60_000);

  it('should refuse a call handed to a subgraph without the router’s signed identity, as over HTTP', async () => {
    const answer = await platform.processes['user-store-svc'].inProcess({
      headers: { 'content-type': 'application/json', 'x-platform-identity': 'forged' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });
});
