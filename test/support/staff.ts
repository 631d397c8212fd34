import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../subgraphs/user/src/data/prisma/client';
import { newTotpEnrolment } from '../../subgraphs/user/src/services/totp';

/** An account written straight to the user schema (no password that works), for specs of what staff do to it. */
export async function newUser(prisma: PrismaClient) {
  const id = randomUUID();
  const login = `u_${id.slice(0, 8)}`;
  return prisma.user.create({ data: { id, login, email: `${login}@example.test`, displayName: login, passwordHash: 'x' } });
}

/** Makes `userId` staff holding `roles` (built-in roles exist in every migrated database); returns their TOTP secret. */
export async function makeStaff(prisma: PrismaClient, userId: string, roles: string[]): Promise<string> {
  const { secret } = newTotpEnrolment(userId);
  await prisma.staffMember.create({ data: { userId, totpSecret: secret } });
  for (const roleName of roles) await prisma.staffGrant.create({ data: { userId, roleName } });
  return secret;
}
