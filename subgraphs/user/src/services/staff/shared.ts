import { DomainError } from '../../../../../kernel/errors';
import { isUuid } from '../../../../../kernel/ids';
import type { User } from '../../data/db';
import type { Prisma } from '../../data/prisma/client';
import LIMITS from '../../../limits.json';

const { 'staff.reason': REASON } = LIMITS;

export type Tx = Prisma.TransactionClient;

/** Why a staff member acts: required for what is done to accounts, optional for roles and staff. */
export function reasonOf(reason: string | null | undefined, required: boolean): string | null {
  const text = (reason ?? '').trim();
  if (required && !text)
    throw new DomainError('VALIDATION_FAILED', 'a reason is required', { fields: [{ field: 'reason', message: 'is required' }] });
  if (text.length > REASON.maxLength) {
    throw new DomainError('VALIDATION_FAILED', 'the reason is too long', {
      fields: [{ field: 'reason', message: `must be at most ${REASON.maxLength} characters` }],
    });
  }
  return text || null;
}

/** The account, locked until the transaction ends, so two staff acting on it at once act one after the other. */
export async function lockUser(tx: Tx, userId: string): Promise<User> {
  const missing = () => new DomainError('USER_NOT_FOUND', 'no such user');
  if (!isUuid(userId)) throw missing();
  await tx.$queryRaw`SELECT 1 FROM "user"."account" WHERE id = ${userId}::uuid FOR UPDATE`;
  const user = await tx.user.findUnique({ where: { id: userId } });
  if (!user) throw missing();
  return user;
}
