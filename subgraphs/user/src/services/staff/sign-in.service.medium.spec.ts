import { decodeJwt } from 'jose';
import { randomUUID } from 'node:crypto';
import { createScratchDatabase } from '../../../../../test/support/database';
import { identities } from '../../../../../test/support/identities';
import { makeStaff } from '../../../../../test/support/staff';
import { connectUserDb, type UserDb } from '../../data/db';
import { AccountsService } from '../accounts.service';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from '../login-limiter';
import { totpCode } from '../totp';
import { StaffSignInService } from './sign-in.service';
import { newKeyPair } from '../../../../../kernel/keys';

const ACCESS = newKeyPair();
const STAFF = newKeyPair();
const MFA_MAX_AGE = 900;

/** Against a real PostgreSQL: staff sign in with password and TOTP together, and step up with a fresh code. */
describe(StaffSignInService.name, () => {
  let db: UserDb;
  let drop: () => Promise<void>;
  let accounts: AccountsService;
  let service: StaffSignInService;

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectUserDb(database.url, 4);
    const limiter = new LoginLimiter(DEFAULT_LOGIN_LIMITS);
    accounts = new AccountsService(db.prisma, ACCESS.signing, limiter);
    service = new StaffSignInService(db.prisma, accounts, STAFF.signing, MFA_MAX_AGE, limiter);
  });

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const password = 'correct horse battery';
  const newAccount = async () => {
    const login = `s_${randomUUID().slice(0, 8)}`;
    return accounts.signUp({ login, email: `${login}@example.test`, password });
  };
  const audited = (actorId: string) => db.prisma.auditRecord.findMany({ where: { actorId }, orderBy: { at: 'asc' } });
  const later = (secret: string, steps: number) => totpCode(secret, Date.now() + steps * 30_000);

  it("should sign staff in with password and code, the token carrying their roles' permissions", async () => {
    const user = await newAccount();
    const secret = await makeStaff(db.prisma, user.id, ['support', 'finance']);
    const before = Math.floor(Date.now() / 1000);
    const session = await service.logIn(user.login, password, totpCode(secret), identities.anonymous());
    expect(session).toMatchObject({
      tokenType: 'bearer',
      mfaExpiresIn: MFA_MAX_AGE,
      permissions: ['payments:read', 'users:read'],
      staff: { id: user.id },
    });
    const claims = decodeJwt(session.accessToken);
    expect(claims).toMatchObject({ sub: user.id, prm: ['payments:read', 'users:read'] });
    expect(claims.mfa).toBeGreaterThanOrEqual(before);
    expect((await audited(user.id)).map((r) => [r.action, r.targetId])).toEqual([['staff.logged_in', user.id]]);
  });

  it('should refuse a wrong code, a spent code and a user who is not staff alike', async () => {
    const user = await newAccount();
    const secret = await makeStaff(db.prisma, user.id, ['support']);
    const refused = { code: 'USER_INVALID_CREDENTIALS', message: 'wrong login, password or code' };
    await expect(service.logIn(user.login, password, '000000', identities.anonymous())).rejects.toMatchObject(refused);
    const code = totpCode(secret);
    await service.logIn(user.login, password, code, identities.anonymous());
    await expect(service.logIn(user.login, password, code, identities.anonymous())).rejects.toMatchObject(refused);

    const nobody = await newAccount();
    await expect(service.logIn(nobody.login, password, code, identities.anonymous())).rejects.toMatchObject(refused);
    await expect(service.logIn(user.login, 'wrong password', later(secret, 1), identities.anonymous())).rejects.toMatchObject({
      code: 'USER_INVALID_CREDENTIALS',
    });
    // Each wrong or spent code after a right password is a guess at the account, and audited as one.
    expect((await audited(user.id)).map((r) => r.action)).toEqual([
      'staff.second_factor_failed',
      'staff.logged_in',
      'staff.second_factor_failed',
    ]);
  });

  it('should confirm a fresh second factor for staff only, once per code', async () => {
    const user = await newAccount();
    const secret = await makeStaff(db.prisma, user.id, ['admin']);
    const staff = identities.staff(user.id, [], MFA_MAX_AGE * 2);
    await expect(service.confirmMfa(totpCode(secret), identities.session(user.id))).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const code = totpCode(secret);
    const session = await service.confirmMfa(code, staff);
    expect(decodeJwt(session.accessToken).mfa).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 1);
    expect(session.permissions).toContain('graph:explore');
    await expect(service.confirmMfa(code, staff)).rejects.toMatchObject({ code: 'USER_INVALID_CREDENTIALS', message: 'wrong code' });
    expect((await audited(user.id)).map((r) => [r.action, r.requestId])).toEqual([
      ['staff.mfa_confirmed', staff.requestId],
      ['staff.second_factor_failed', staff.requestId],
    ]);
  });

  it('should lock the second factor after 5 wrong codes, at log-in and step-up alike, even for the right code', async () => {
    const user = await newAccount();
    const secret = await makeStaff(db.prisma, user.id, ['support']);
    const staff = identities.staff(user.id, ['users:read'], MFA_MAX_AGE * 2);
    for (let i = 0; i < 3; i += 1) {
      await expect(service.logIn(user.login, password, '000000', identities.anonymous())).rejects.toMatchObject({
        code: 'USER_INVALID_CREDENTIALS',
      });
    }
    for (let i = 0; i < 2; i += 1) {
      await expect(service.confirmMfa('000000', staff)).rejects.toMatchObject({ code: 'USER_INVALID_CREDENTIALS' });
    }
    const locked = { code: 'RATE_LIMITED', retryAfter: expect.any(Number) };
    await expect(service.confirmMfa(totpCode(secret), staff)).rejects.toMatchObject(locked);
    await expect(service.logIn(user.login, password, totpCode(secret), identities.anonymous())).rejects.toMatchObject(locked);
    expect((await audited(user.id)).filter((r) => r.action === 'staff.second_factor_failed')).toHaveLength(5);
  });

  it('should count concurrent wrong codes before checking them: 20 at once, 5 checked', async () => {
    const user = await newAccount();
    await makeStaff(db.prisma, user.id, ['support']);
    const staff = identities.staff(user.id, ['users:read'], MFA_MAX_AGE * 2);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => service.confirmMfa('000000', staff)));
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'accepted'));
    expect(codes.filter((c) => c === 'USER_INVALID_CREDENTIALS')).toHaveLength(5);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(15);
  });

  it('should refuse the step-up of a suspended staff member', async () => {
    const user = await newAccount();
    const secret = await makeStaff(db.prisma, user.id, ['support']);
    await db.prisma.user.update({ where: { id: user.id }, data: { suspendedAt: new Date() } });
    await expect(service.confirmMfa(totpCode(secret), identities.staff(user.id, ['users:read']))).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(service.logIn(user.login, password, later(secret, 1), identities.anonymous())).rejects.toMatchObject({
      code: 'USER_SUSPENDED',
    });
  });

  it('should read the permissions of every role a staff member holds, once each', async () => {
    const user = await newAccount();
    await makeStaff(db.prisma, user.id, ['support', 'trust-safety']);
    expect(await service.permissionsOf(user.id)).toEqual([
      'audit:read',
      'cases:manage',
      'chat:moderate',
      'fraud:read',
      'users:read',
      'users:suspend',
    ]);
    expect(await service.permissionsOf(randomUUID())).toEqual([]);
  });
});
