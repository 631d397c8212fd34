import { newKeyPair } from '../../../kernel/keys';
import { DomainError } from '../../../kernel/errors';
import { connectUserDb } from './data/db';
import { AccountsService } from './services/accounts.service';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from './services/login-limiter';
import { bootstrapAdmin } from './services/staff/roles.service';

export const DEMO_USERS = [
  { login: 'demo_streamer', email: 'streamer@demo.test', password: 'demo-password', displayName: 'Demo Streamer' },
  { login: 'demo_viewer', email: 'viewer@demo.test', password: 'demo-password', displayName: 'Demo Viewer' },
  { login: 'demo_admin', email: 'admin@demo.test', password: 'demo-password', displayName: 'Demo Admin' },
];

/**
 * The first admin (`npm run staff -- bootstrap`): refused once any staff exists, after which staff are added through
 * the Admin API. Returns the TOTP secret, shown this once.
 */
export async function bootstrapFirstAdmin(databaseUrl: string, login: string) {
  const db = connectUserDb(databaseUrl, 1);
  try {
    const enrolment = await bootstrapAdmin(db.prisma, login);
    return { login: enrolment.user.login, totpSecret: enrolment.totpSecret, totpUri: enrolment.totpUri };
  } finally {
    await db.close();
  }
}

/**
 * `npm start`'s demo accounts, made as a sign-up makes them (their events create their channels), and demo_admin as
 * the first admin. Idempotent: what exists already is left as it is. Returns the admin's TOTP secret when it was
 * enrolled now, the only time it can be read.
 */
export async function seed(databaseUrl: string): Promise<{ adminTotpSecret?: string }> {
  const db = connectUserDb(databaseUrl, 1);
  try {
    // Sign-up neither signs tokens nor counts logins: the key and the limiter are never used here.
    const accounts = new AccountsService(db.prisma, newKeyPair().signing, new LoginLimiter(DEFAULT_LOGIN_LIMITS));
    for (const demo of DEMO_USERS) await accounts.signUp(demo).catch(ignoreDomainError);
    // Their .test addresses can receive no link: the demo accounts count as verified, as a real user's would be.
    await db.prisma.user.updateMany({
      where: { login: { in: DEMO_USERS.map((demo) => demo.login) }, emailVerifiedAt: null },
      data: { emailVerifiedAt: new Date() },
    });
    const enrolment = await bootstrapAdmin(db.prisma, 'demo_admin').catch(ignoreDomainError);
    return { adminTotpSecret: enrolment?.totpSecret };
  } finally {
    await db.close();
  }
}

function ignoreDomainError(error: unknown): undefined {
  if (!(error instanceof DomainError)) throw error;
  return undefined;
}
