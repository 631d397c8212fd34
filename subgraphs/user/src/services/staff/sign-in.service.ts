import type { SigningKey } from '../../../../../kernel/keys';
import { DomainError } from '../../../../../kernel/errors';
import { type Identity, STAFF_TOKEN_TTL_SECONDS, issueStaffToken } from '../../../../../kernel/identity';
import type { User } from '../../data/db';
import type { PrismaClient } from '../../data/prisma/client';
import type { AccountsService } from '../accounts.service';
import type { LoginLimiter } from '../login-limiter';
import { totpStep } from '../totp';
import { type Actor, recordAudit } from './audit-log';

export interface StaffSession {
  accessToken: string;
  tokenType: 'bearer';
  expiresIn: number;
  /** Seconds until staff actions need the second factor confirmed again. */
  mfaExpiresIn: number;
  permissions: string[];
  staff: User;
}

/**
 * Staff sign in with their password and a TOTP code together, and confirm a fresh code again (step-up) when their
 * last one is older than `mfaMaxAgeSeconds`. Each staff token carries the permissions of their roles at the time.
 */
export class StaffSignInService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly accounts: AccountsService,
    private readonly staffTokenKey: SigningKey,
    /** How long a TOTP confirmation lets staff act before they must confirm again. */
    private readonly mfaMaxAgeSeconds: number,
    /** Counts wrong codes per staff member, whether the password was right or the caller already holds a token. */
    private readonly limiter: LoginLimiter,
  ) {}

  /** Password and a TOTP code together; failures look the same whichever factor was wrong. */
  async logIn(login: string, password: string, code: string, identity: Identity): Promise<StaffSession> {
    const refused = () => new DomainError('USER_INVALID_CREDENTIALS', 'wrong login, password or code');
    const user = await this.accounts.verifyCredentials(login, password, identity.ip);
    const staff = await this.prisma.staffMember.findUnique({ where: { userId: user.id } });
    if (!staff) throw refused();
    if (!(await this.secondFactor(staff, code, { userId: user.id, requestId: identity.requestId }))) throw refused();
    return this.openSession(user, { userId: user.id, requestId: identity.requestId }, 'staff.logged_in');
  }

  /** Step-up: a fresh second factor for a staff member already logged in. */
  async confirmMfa(code: string, identity: Identity): Promise<StaffSession> {
    if (identity.kind !== 'staff') throw new DomainError('FORBIDDEN', 'staff only');
    const staff = await this.prisma.staffMember.findUnique({ where: { userId: identity.userId }, include: { user: true } });
    if (!staff || staff.user.suspendedAt) throw new DomainError('FORBIDDEN', 'staff only');
    if (!(await this.secondFactor(staff, code, identity))) throw new DomainError('USER_INVALID_CREDENTIALS', 'wrong code');
    return this.openSession(staff.user, identity, 'staff.mfa_confirmed');
  }

  async permissionsOf(userId: string): Promise<string[]> {
    const grants = await this.prisma.staffGrant.findMany({ where: { userId }, include: { role: true } });
    return [...new Set(grants.flatMap((g) => g.role.permissions))].sort();
  }

  /** A code checked against the staff member's attempts; a wrong one is audited, as a guess at their account. */
  private async secondFactor(staff: { userId: string; totpSecret: string }, code: string, actor: Actor): Promise<boolean> {
    await this.limiter.beforeSecondFactor(staff.userId);
    if (await this.spendTotp(staff.userId, staff.totpSecret, code)) {
      await this.limiter.secondFactorSucceeded(staff.userId);
      return true;
    }
    await this.prisma.$transaction((tx) => recordAudit(tx, actor, 'staff.second_factor_failed', { type: 'staff', id: staff.userId }, null));
    return false;
  }

  /** A code is spent once: a step at or before the last one accepted is refused, so an observed code cannot be replayed. */
  private async spendTotp(userId: string, secret: string, code: string): Promise<boolean> {
    const step = totpStep(secret, code);
    if (step === null) return false;
    const spent = await this.prisma.staffMember.updateMany({
      where: { userId, OR: [{ lastTotpStep: null }, { lastTotpStep: { lt: step } }] },
      data: { lastTotpStep: step },
    });
    return spent.count === 1;
  }

  private async openSession(user: User, actor: Actor, action: string): Promise<StaffSession> {
    const permissions = await this.permissionsOf(user.id);
    const mfaAt = Math.floor(Date.now() / 1000);
    await this.prisma.$transaction((tx) => recordAudit(tx, actor, action, { type: 'staff', id: user.id }, null));
    return {
      accessToken: await issueStaffToken(this.staffTokenKey, { userId: user.id, permissions, mfaAt }),
      tokenType: 'bearer',
      expiresIn: STAFF_TOKEN_TTL_SECONDS,
      mfaExpiresIn: this.mfaMaxAgeSeconds,
      permissions,
      staff: user,
    };
  }
}
