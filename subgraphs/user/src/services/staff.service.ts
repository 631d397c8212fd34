import type { SigningKey } from '../../../../kernel/keys';
import type { PrismaClient } from '../data/prisma/client';
import type { AccountsService } from './accounts.service';
import type { LoginLimiter } from './login-limiter';
import { AuditLogService } from './staff/audit-log';
import { StaffRolesService } from './staff/roles.service';
import { StaffSignInService } from './staff/sign-in.service';
import { SuspensionService } from './staff/suspension.service';

/**
 * Staff, by concern: signing in with a second factor, roles and who holds them, what staff do to accounts, and
 * the audit log. Every staff action writes its audit record in the transaction that makes the change.
 */
export class StaffService {
  readonly signIn: StaffSignInService;
  readonly roles: StaffRolesService;
  readonly suspension: SuspensionService;
  readonly auditLog: AuditLogService;

  constructor(prisma: PrismaClient, accounts: AccountsService, staffTokenKey: SigningKey, mfaMaxAgeSeconds: number, limiter: LoginLimiter) {
    this.signIn = new StaffSignInService(prisma, accounts, staffTokenKey, mfaMaxAgeSeconds, limiter);
    this.roles = new StaffRolesService(prisma, mfaMaxAgeSeconds);
    this.suspension = new SuspensionService(prisma, mfaMaxAgeSeconds);
    this.auditLog = new AuditLogService(prisma, mfaMaxAgeSeconds);
  }
}
