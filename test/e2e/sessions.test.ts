import { createMemoryBus } from '../../kernel/bus/memory';
import { call, signUpAndLogIn, startTestPlatform, type TestPlatform } from '../support/platform';

/** Refresh tokens rotate on every use; a replayed one revokes its whole family; logout revokes. */
describe('sessions', () => {
  let platform: TestPlatform;
  let api: string;

  beforeAll(async () => {
    platform = await startTestPlatform(createMemoryBus());
    api = platform.api;
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const logIn = async (login: string, password: string) =>
    (await call(`${api}/sessions`, { method: 'POST', body: { login, password } })).body;
  const refresh = (refreshToken: string) => call(`${api}/sessions/refresh`, { method: 'POST', body: { refreshToken } });

  it('should rotate the refresh token on every use', async () => {
    const { login, password } = await signUpAndLogIn(api, 'rotate');
    const first = await logIn(login, password);
    const second = await refresh(first.refreshToken);
    expect(second.status).toBe(201);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect((await call(`${api}/me`, { token: second.body.accessToken })).body.login).toBe(login);
    const third = await refresh(second.body.refreshToken);
    expect(third.status).toBe(201);
  });

  it('should revoke the whole family when a spent refresh token is replayed', async () => {
    const { login, password } = await signUpAndLogIn(api, 'replay');
    const stolen = await logIn(login, password);
    const legit = await refresh(stolen.refreshToken);
    expect(legit.status).toBe(201);

    const replay = await refresh(stolen.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('USER_INVALID_REFRESH_TOKEN');
    expect((await refresh(legit.body.refreshToken)).status).toBe(401);

    const otherDevice = await logIn(login, password);
    expect((await refresh(otherDevice.refreshToken)).status).toBe(201);
  });

  it('should let only one of two concurrent refreshes with one token win', async () => {
    const { login, password } = await signUpAndLogIn(api, 'race');
    const session = await logIn(login, password);
    const results = await Promise.all([refresh(session.refreshToken), refresh(session.refreshToken)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 401]);
  });

  it('should revoke on logout, with the same answer for an unknown token', async () => {
    const { login, password } = await signUpAndLogIn(api, 'logout');
    const session = await logIn(login, password);
    const out = await call(`${api}/sessions/revoke`, { method: 'POST', body: { refreshToken: session.refreshToken } });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ revoked: true });
    expect((await refresh(session.refreshToken)).status).toBe(401);
    const unknown = await call(`${api}/sessions/revoke`, { method: 'POST', body: { refreshToken: 'x'.repeat(43) } });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({ revoked: true });
  });

  it('should refuse a malformed or unknown refresh token', async () => {
    expect((await refresh('short')).status).toBe(400);
    const unknown = await refresh('y'.repeat(43));
    expect(unknown.status).toBe(401);
    expect(unknown.body.code).toBe('USER_INVALID_REFRESH_TOKEN');
  });
});
