import type { SigningKey } from '../../../../kernel/keys';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DomainError, type FieldProblem } from '../../../../kernel/errors';
import { isUuid } from '../../../../kernel/ids';
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from '../../../../kernel/identity';
import LIMITS from '../../limits.json';
import { Prisma, type PrismaClient } from '../data/prisma/client';
import { recordEvent, type User } from '../data/db';
import type { LoginLimiter } from './login-limiter';
import { DECOY_HASH, hashPassword, needsRehash, verifyPassword } from './passwords';

export const LOGIN_PATTERN = new RegExp(LIMITS['account.login'].pattern);
const { 'account.email': EMAIL, 'account.password': PASSWORD, 'account.displayName': DISPLAY_NAME } = LIMITS;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;

/** Only a hash is stored: a leaked table cannot be replayed as tokens. */
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface SignUpInput {
  login: string;
  email: string;
  password: string;
  displayName?: string | null;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  tokenType: 'bearer';
  expiresIn: number;
  user: User;
}

/** Accounts: sign-up, login, look-ups. The only writer of the user schema. */
export class AccountsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly accessTokenKey: SigningKey,
    private readonly limiter: LoginLimiter,
  ) {}

  /**
   * Creates an account. Whether another account uses the email is never told (see EmailVerificationService): only
   * a taken login is, logins being public.
   */
  async signUp(input: SignUpInput, clientIp?: string): Promise<User> {
    const login = input.login.trim().toLowerCase();
    const email = input.email.trim().toLowerCase();
    const displayName = (input.displayName ?? '').trim() || login;
    const problems: FieldProblem[] = [];
    if (!LOGIN_PATTERN.test(login)) problems.push({ field: 'login', message: 'must be 4–25 characters of a-z, 0-9 and _' });
    if (email.length > EMAIL.maxLength || !EMAIL_PATTERN.test(email))
      problems.push({ field: 'email', message: 'must be an email address' });
    if (input.password.length < PASSWORD.minLength || input.password.length > PASSWORD.maxLength) {
      problems.push({ field: 'password', message: `must be ${PASSWORD.minLength}–${PASSWORD.maxLength} characters` });
    }
    if (displayName.length > DISPLAY_NAME.maxLength)
      problems.push({ field: 'displayName', message: `must be at most ${DISPLAY_NAME.maxLength} characters` });
    if (problems.length) throw new DomainError('VALIDATION_FAILED', 'the account fields are invalid', { fields: problems });
    await this.limiter.beforeSignUp(clientIp);

    const passwordHash = await hashPassword(input.password);
    try {
      return await this.prisma.$transaction(async (tx) => {
        const user = await tx.user.create({ data: { id: randomUUID(), login, email, displayName, passwordHash } });
        await recordEvent(tx, 'user.account.created.v1', user.id, {
          userId: user.id,
          login: user.login,
          displayName: user.displayName,
          createdAt: user.createdAt.toISOString(),
          // Personal data, sent for account analysis (ptfm's trust and safety) only.
          ...(clientIp ? { signupAddress: clientIp } : {}),
          // Only the domain of the address: all that analysis needs to tell a throwaway mailbox.
          emailDomain: email.slice(email.lastIndexOf('@') + 1),
        });
        return user;
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')
        throw new DomainError('USER_LOGIN_TAKEN', 'this login is taken', { fields: [{ field: 'login', message: 'is taken' }] });
      throw error;
    }
  }

  async logIn(login: string, password: string, clientIp?: string): Promise<Session> {
    return this.openSession(await this.verifyCredentials(login, password, clientIp), randomUUID());
  }

  /**
   * The same answer, in the same time, for an unknown login and a wrong password; a suspended account is told so
   * only once its password was right. Counted by the login limiter.
   */
  async verifyCredentials(login: string, password: string, clientIp?: string): Promise<User> {
    const normalized = login.trim().toLowerCase();
    await this.limiter.beforeAttempt(normalized, clientIp);
    const user = await this.prisma.user.findUnique({ where: { login: normalized } });
    const valid = await verifyPassword(password, user?.passwordHash ?? (await DECOY_HASH));
    if (!user || !valid) throw new DomainError('USER_INVALID_CREDENTIALS', 'wrong login or password');
    await this.limiter.succeeded(normalized);
    if (user.suspendedAt) throw new DomainError('USER_SUSPENDED', 'this account is suspended');
    if (needsRehash(user.passwordHash)) await this.rehash(user, password);
    return user;
  }

  /**
   * Only at login is the password in hand, so that is where a hash made under older parameters is replaced; a
   * password changed meanwhile by another request is left as it is.
   */
  private async rehash(user: User, password: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    await this.prisma.user.updateMany({ where: { id: user.id, passwordHash: user.passwordHash }, data: { passwordHash } });
  }

  /**
   * Rotates a refresh token: it is spent, and a new one of the same family is returned. A spent or revoked token
   * presented again means it was copied, so the whole family (every device of that login) is revoked.
   */
  async refreshSession(refreshToken: string): Promise<Session> {
    const invalid = () => new DomainError('USER_INVALID_REFRESH_TOKEN', 'the refresh token is invalid, expired or revoked');
    const row = await this.prisma.refreshToken.findUnique({ where: { tokenHash: hashToken(refreshToken) }, include: { user: true } });
    if (!row) throw invalid();
    if (row.rotatedAt || row.revokedAt) {
      await this.revokeFamily(row.familyId);
      throw invalid();
    }
    if (row.expiresAt.getTime() <= Date.now() || row.user.suspendedAt) throw invalid();
    // Two refreshes racing with one token: only the one that spends it goes on; the other is a reuse. Spending and
    // issuing the successor commit together, and the loser's update waits on the winner's row lock, so the family
    // the loser revokes already holds the winner's new token.
    const session = await this.prisma.$transaction(async (tx) => {
      const spent = await tx.refreshToken.updateMany({
        where: { id: row.id, rotatedAt: null, revokedAt: null },
        data: { rotatedAt: new Date() },
      });
      return spent.count === 1 ? this.openSession(row.user, row.familyId, tx) : null;
    });
    if (!session) {
      await this.revokeFamily(row.familyId);
      throw invalid();
    }
    return session;
  }

  /** Logs out: the token's family can no longer be refreshed. Unknown tokens get the same answer. */
  async revokeSession(refreshToken: string): Promise<void> {
    const row = await this.prisma.refreshToken.findUnique({ where: { tokenHash: hashToken(refreshToken) } });
    if (row) await this.revokeFamily(row.familyId);
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await this.prisma.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } });
  }

  private async openSession(user: User, familyId: string, db: Pick<PrismaClient, 'refreshToken'> = this.prisma): Promise<Session> {
    const refreshToken = randomBytes(32).toString('base64url');
    await db.refreshToken.create({
      data: {
        id: randomUUID(),
        userId: user.id,
        familyId,
        tokenHash: hashToken(refreshToken),
        expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_MS),
      },
    });
    const accessToken = await issueAccessToken(this.accessTokenKey, {
      userId: user.id,
      sessionId: familyId,
      emailVerified: user.emailVerifiedAt !== null,
    });
    return { accessToken, refreshToken, tokenType: 'bearer', expiresIn: ACCESS_TOKEN_TTL_SECONDS, user };
  }

  byLogin(login: string): Promise<User | null> {
    return this.prisma.user.findUnique({ where: { login: login.trim().toLowerCase() } });
  }

  /** One query for many ids, in the order asked (the shape DataLoader needs). */
  async byIds(ids: readonly string[]): Promise<(User | null)[]> {
    const valid = ids.filter(isUuid);
    const users = valid.length ? await this.prisma.user.findMany({ where: { id: { in: [...new Set(valid)] } } }) : [];
    const byId = new Map(users.map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id) ?? null);
  }
}
