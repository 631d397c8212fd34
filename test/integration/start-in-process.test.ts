import { randomBytes } from 'node:crypto';
import { startAllProcesses } from '../../bin/everything';
import { portsEnv } from '../../bin/processes';
import { createMemoryBus } from '../../kernel/bus/memory';
import { generatedKeysEnv } from '../../kernel/keys';
import { createLogger } from '../../kernel/log';
import { createScratchDatabase } from '../support/database';

/** `npm start`: the REST facade hands its requests to the router in the same process, without HTTP between them. */
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
      routerInProcess: true,
    });
  }, 120_000);

  afterAll(async () => {
    for (const part of platform?.parts ?? []) await part.stop();
    await bus.close();
    await database?.drop();
  }, 60_000);

  it('should answer REST routes with the router’s HTTP listener closed', async () => {
    const router = platform.processes['router-gtw'];
    await new Promise<void>((resolve) => {
      router.server.close(() => resolve());
      router.server.closeAllConnections();
    });
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
    expect((await fetch(`${api}/users/in_process`)).status).toBe(200);
  }, 60_000);
});
