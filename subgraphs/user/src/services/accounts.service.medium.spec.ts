import { randomBytes, randomUUID, scryptSync } from 'node:crypto';
import { verifyAccessToken } from '../../../../kernel/identity';
import { newKeyPair } from '../../../../kernel/keys';
import { createScratchDatabase } from '../../../../test/support/database';
import { connectUserDb, type UserDb } from '../data/db';
import { AccountsService } from './accounts.service';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from './login-limiter';
import { verifyPassword } from './passwords';

const keys = newKeyPair();
const PASSWORD = 'a-good-password';

/** AccountsService against a real PostgreSQL: sign-up, login and its limits, sessions and their refresh tokens. */
describe(AccountsService.name, () => {
  let db: UserDb;
  let drop: () => Promise<void>;
  let accounts: AccountsService;

  const login = () => `acc_${randomBytes(5).toString('hex')}`;
  const signUp = async (overrides: { login?: string; email?: string; displayName?: string | null } = {}) => {
    const name = overrides.login ?? login();
    return accounts.signUp({
      login: name,
      email: overrides.email ?? `${name}@example.test`,
      password: PASSWORD,
      displayName: overrides.displayName,
    });
  };
  const outboxOf = (userId: string) => db.prisma.outboxEvent.findMany({ where: { key: userId } });

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectUserDb(database.url, 4);
    accounts = new AccountsService(
      db.prisma,
      keys.signing,
      new LoginLimiter({ accountFailures: 3, accountLockSeconds: 900, attemptsPerIpPerMinute: 5 }),
    );
  });

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('should create an account with a lowercase login and email, a hashed password, and user.account.created.v1 in the outbox', async () => {
    const name = login();
    const user = await accounts.signUp({ login: `  ${name.toUpperCase()} `, email: ` ${name}@Example.TEST `, password: PASSWORD });
    expect(user).toMatchObject({ login: name, email: `${name}@example.test`, displayName: name, suspendedAt: null });
    expect(user.passwordHash).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, user.passwordHash)).toBe(true);
    const events = await outboxOf(user.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      topic: 'user.account.created.v1',
      payload: {
        type: 'user.account.created.v1',
        data: { userId: user.id, login: name, displayName: name, createdAt: user.createdAt.toISOString(), emailDomain: 'example.test' },
      },
    });
    // The domain of the address travels, never the address.
    expect(JSON.stringify(events[0].payload)).not.toContain(`${name}@`);
    expect((await signUp({ displayName: '  The Name  ' })).displayName).toBe('The Name');
    const other = login();
    const addressed = await accounts.signUp({ login: other, email: `${other}@example.test`, password: PASSWORD }, '203.0.113.9');
    expect(await outboxOf(addressed.id)).toMatchObject([{ payload: { data: { signupAddress: '203.0.113.9' } } }]);
  });

  it('should refuse invalid fields all at once, at the edges of their limits', async () => {
    await expect(
      accounts.signUp({ login: 'abc', email: 'not-an-email', password: 'x'.repeat(7), displayName: 'd'.repeat(26) }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'login' }, { field: 'email' }, { field: 'password' }, { field: 'displayName' }],
    });
    for (const bad of ['a'.repeat(26), 'with-dash', 'wïth_accent']) {
      await expect(signUp({ login: bad, displayName: 'Fine' })).rejects.toMatchObject({ fields: [{ field: 'login' }] });
    }
    await expect(signUp({ email: `${'e'.repeat(242)}@example.test` })).rejects.toMatchObject({ fields: [{ field: 'email' }] });
    await expect(accounts.signUp({ login: login(), email: `${login()}@example.test`, password: 'x'.repeat(129) })).rejects.toMatchObject({
      fields: [{ field: 'password' }],
    });
    const edge = `a${randomBytes(12).toString('hex')}`;
    await expect(
      accounts.signUp({ login: edge, email: `${edge}@example.test`, password: 'x'.repeat(128), displayName: 'd'.repeat(25) }),
    ).resolves.toMatchObject({
      login: edge,
    });
    await expect(
      accounts.signUp({
        login: `b${randomBytes(2).toString('hex').slice(0, 3)}`,
        email: `${login()}@example.test`,
        password: 'x'.repeat(8),
      }),
    ).resolves.toBeDefined();
  });

  it('should refuse a login already taken, whatever its case, and emit nothing for it', async () => {
    const user = await signUp();
    const before = await db.prisma.outboxEvent.count();
    await expect(signUp({ login: user.login.toUpperCase(), email: `${login()}@example.test` })).rejects.toMatchObject({
      code: 'USER_LOGIN_TAKEN',
      fields: [{ field: 'login' }],
    });
    expect(await db.prisma.outboxEvent.count()).toBe(before);
  });

  it('should create an account whose email another account uses, unverified (sign-up never tells an address is taken)', async () => {
    const user = await signUp();
    const again = await signUp({ email: user.email.toUpperCase() });
    expect(again).toMatchObject({ email: user.email, emailVerifiedAt: null });
  });

  it('should limit sign-ups per address, and per IPv6 /64 whatever the address within it', async () => {
    const limited = new AccountsService(
      db.prisma,
      keys.signing,
      new LoginLimiter({ ...DEFAULT_LOGIN_LIMITS, signUpsPerAddressPerHour: 2, signUpsPerNetworkPerHour: 3 }),
    );
    const signUpFrom = (ip: string) => {
      const name = login();
      return limited.signUp({ login: name, email: `${name}@example.test`, password: PASSWORD }, ip);
    };
    await signUpFrom('198.51.100.7');
    await signUpFrom('198.51.100.7');
    const refused = await signUpFrom('198.51.100.7').catch((error) => error);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.retryAfter).toBeGreaterThan(3500);
    await expect(signUpFrom('198.51.100.8')).resolves.toBeDefined();

    await signUpFrom('2001:db8:1:2::1');
    await signUpFrom('2001:db8:1:2::2');
    await signUpFrom('2001:0db8:0001:0002:ffff::3');
    await expect(signUpFrom('2001:db8:1:2::4')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(signUpFrom('2001:db8:1:3::1')).resolves.toBeDefined();
  });

  it('should replace a legacy password hash at the next login, and log in with the new one', async () => {
    const user = await signUp();
    const salt = randomBytes(16);
    const key = scryptSync(PASSWORD, salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    const legacy = ['scrypt', 2 ** 14, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
    await db.prisma.user.update({ where: { id: user.id }, data: { passwordHash: legacy } });
    await accounts.logIn(user.login, PASSWORD);
    const rehashed = (await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash;
    expect(rehashed).toMatch(/^\$argon2id\$/);
    await expect(accounts.logIn(user.login, PASSWORD)).resolves.toBeDefined();
    expect((await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash).toBe(rehashed);
  });

  it('should open a session whose access token names the user, and answer an unknown login as a wrong password', async () => {
    const user = await signUp();
    const session = await accounts.logIn(` ${user.login.toUpperCase()} `, PASSWORD);
    expect(session).toMatchObject({ tokenType: 'bearer', expiresIn: 900, user: { id: user.id } });
    const verified = await verifyAccessToken(keys.verification, session.accessToken);
    expect(verified).toMatchObject({ ok: true, claims: { userId: user.id, emailVerified: false } });
    // Verified since: the next token says so, and unverified accounts' limits no longer apply.
    await db.prisma.user.update({ where: { id: user.id }, data: { emailVerifiedAt: new Date() } });
    const after = await accounts.refreshSession(session.refreshToken);
    expect(await verifyAccessToken(keys.verification, after.accessToken)).toMatchObject({ ok: true, claims: { emailVerified: true } });
    await expect(accounts.logIn(user.login, 'wrong-password')).rejects.toMatchObject({ code: 'USER_INVALID_CREDENTIALS' });
    await expect(accounts.logIn(login(), PASSWORD)).rejects.toMatchObject({ code: 'USER_INVALID_CREDENTIALS' });
  });

  it('should lock an account after its failures, even for the right password, and forget failures after a success', async () => {
    const forgiven = await signUp();
    await expect(accounts.logIn(forgiven.login, 'wrong-1')).rejects.toMatchObject({ code: 'USER_INVALID_CREDENTIALS' });
    await expect(accounts.logIn(forgiven.login, 'wrong-2')).rejects.toMatchObject({ code: 'USER_INVALID_CREDENTIALS' });
    await accounts.logIn(forgiven.login, PASSWORD);
    await expect(accounts.logIn(forgiven.login, 'wrong-3')).rejects.toMatchObject({ code: 'USER_INVALID_CREDENTIALS' });
    await expect(accounts.logIn(forgiven.login, 'wrong-4')).rejects.toMatchObject({ code: 'USER_INVALID_CREDENTIALS' });
    await expect(accounts.logIn(forgiven.login, PASSWORD)).resolves.toBeDefined();

    const locked = await signUp();
    for (let i = 0; i < 3; i += 1)
      await expect(accounts.logIn(locked.login, `wrong-${i}`)).rejects.toMatchObject({ code: 'USER_INVALID_CREDENTIALS' });
    const refused = await accounts.logIn(locked.login, PASSWORD).catch((error) => error);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.retryAfter).toBeGreaterThan(800);
    expect(refused.retryAfter).toBeLessThanOrEqual(900);
  });

  it('should limit the attempts of one address across accounts', async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
    const users = [await signUp(), await signUp()];
    for (let i = 0; i < 5; i += 1) await accounts.logIn(users[i % 2].login, PASSWORD, ip);
    await expect(accounts.logIn(users[0].login, PASSWORD, ip)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(accounts.logIn(users[0].login, PASSWORD, '203.0.113.1')).resolves.toBeDefined();
  });

  it('should tell a suspended account so only once its password was right', async () => {
    const user = await signUp();
    await db.prisma.user.update({ where: { id: user.id }, data: { suspendedAt: new Date() } });
    await expect(accounts.logIn(user.login, 'wrong-password')).rejects.toMatchObject({ code: 'USER_INVALID_CREDENTIALS' });
    await expect(accounts.logIn(user.login, PASSWORD)).rejects.toMatchObject({ code: 'USER_SUSPENDED' });
  });

  it('should rotate a refresh token, and revoke its whole family when a spent one comes back', async () => {
    const user = await signUp();
    const first = await accounts.logIn(user.login, PASSWORD);
    const other = await accounts.logIn(user.login, PASSWORD);
    const second = await accounts.refreshSession(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await verifyAccessToken(keys.verification, second.accessToken)).ok).toBe(true);
    await expect(accounts.refreshSession(first.refreshToken)).rejects.toMatchObject({ code: 'USER_INVALID_REFRESH_TOKEN' });
    await expect(accounts.refreshSession(second.refreshToken)).rejects.toMatchObject({ code: 'USER_INVALID_REFRESH_TOKEN' });
    // Another login is another family, untouched.
    await expect(accounts.refreshSession(other.refreshToken)).resolves.toMatchObject({ user: { id: user.id } });
  });

  it('should let one of two racing refreshes with the same token win and revoke the family for the other', async () => {
    const user = await signUp();
    const session = await accounts.logIn(user.login, PASSWORD);
    const results = await Promise.allSettled([
      accounts.refreshSession(session.refreshToken),
      accounts.refreshSession(session.refreshToken),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    const winner = results.find((r) => r.status === 'fulfilled');
    await expect(
      accounts.refreshSession((winner as PromiseFulfilledResult<{ refreshToken: string }>).value.refreshToken),
    ).rejects.toMatchObject({
      code: 'USER_INVALID_REFRESH_TOKEN',
    });
  });

  it('should refuse refresh tokens that are unknown, revoked at logout, expired, or of a suspended account', async () => {
    await expect(accounts.refreshSession(randomBytes(32).toString('base64url'))).rejects.toMatchObject({
      code: 'USER_INVALID_REFRESH_TOKEN',
    });
    await expect(accounts.revokeSession(randomBytes(32).toString('base64url'))).resolves.toBeUndefined();
    const user = await signUp();
    const loggedOut = await accounts.logIn(user.login, PASSWORD);
    await accounts.revokeSession(loggedOut.refreshToken);
    await expect(accounts.refreshSession(loggedOut.refreshToken)).rejects.toMatchObject({ code: 'USER_INVALID_REFRESH_TOKEN' });

    const expired = await accounts.logIn(user.login, PASSWORD);
    await db.prisma.refreshToken.updateMany({
      where: { userId: user.id, revokedAt: null },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    await expect(accounts.refreshSession(expired.refreshToken)).rejects.toMatchObject({ code: 'USER_INVALID_REFRESH_TOKEN' });

    const suspended = await accounts.logIn(user.login, PASSWORD);
    await db.prisma.user.update({ where: { id: user.id }, data: { suspendedAt: new Date() } });
    await expect(accounts.refreshSession(suspended.refreshToken)).rejects.toMatchObject({ code: 'USER_INVALID_REFRESH_TOKEN' });
  });

  it('should find accounts by login whatever its case, and by ids in the order asked', async () => {
    const [a, b] = [await signUp(), await signUp()];
    expect(await accounts.byLogin(` ${a.login.toUpperCase()} `)).toMatchObject({ id: a.id });
    expect(await accounts.byLogin(login())).toBeNull();
    expect((await accounts.byIds([b.id, 'x', a.id, randomUUID()])).map((u) => u?.id ?? null)).toEqual([b.id, null, a.id, null]);
    expect(await accounts.byIds(['x'])).toEqual([null]);
  });
});
