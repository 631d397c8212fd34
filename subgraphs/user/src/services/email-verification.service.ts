import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '../../../../kernel/errors';
import type { Logger } from '../../../../kernel/log';
import type { PrismaClient, User } from '../data/db';
import { Prisma } from '../data/prisma/client';
import type { Mailer } from '../mail/mailer';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface EmailVerificationSettings {
  /** The page the link opens; the token rides in its fragment, which browsers never send to a server or a referrer. */
  linkUrl: string;
  /** How long a link stays valid. */
  ttlSeconds: number;
}

/**
 * Proves that an account receives mail at its address, without ever telling a caller whether an address is
 * taken: sign-up answers the same either way, and only the address's owner learns the rest, by mail. A free
 * address gets a link; an address another account already verified gets a notice naming that account instead.
 *
 * The link carries a random token of 256 bits of which only a hash is stored: it expires, is spent by its first
 * use, and a new one does not need a signing key shared with anyone.
 */
export class EmailVerificationService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly mailer: Mailer,
    private readonly settings: EmailVerificationSettings,
  ) {}

  /** After a sign-up committed: the mail its address should get. A failed delivery is logged, never the caller's. */
  async afterSignUp(user: User, log: Logger): Promise<void> {
    try {
      const holder = await this.prisma.user.findFirst({ where: { email: user.email, emailVerifiedAt: { not: null } } });
      if (holder) await this.sendAlreadyRegistered(user, holder);
      else await this.sendLink(user);
    } catch (error) {
      log.warn({ err: error, userId: user.id }, 'the sign-up mail could not be sent; the account can ask for another link');
    }
  }

  /** The account asks for a new link (the first was lost, or expired). */
  async resend(userId: string): Promise<void> {
    const user = await this.prisma.user.findUnique({ where: { id: userId } });
    if (!user) throw new DomainError('USER_NOT_FOUND', 'no such account');
    if (user.emailVerifiedAt) throw new DomainError('USER_EMAIL_ALREADY_VERIFIED', 'this account has already verified its address');
    await this.sendLink(user);
  }

  /**
   * Spends a link's token and marks the address verified. Another account may have verified the same address since
   * the link was sent: then this one cannot have it (only the address's owner holds the token, so saying so tells
   * nobody else anything).
   */
  async verify(token: string): Promise<User> {
    const invalid = () => new DomainError('USER_INVALID_VERIFICATION_TOKEN', 'the verification link is invalid, expired or already used');
    try {
      return await this.prisma.$transaction(async (tx) => {
        const spent = await tx.emailVerification.updateMany({
          where: { tokenHash: hashToken(token), usedAt: null, expiresAt: { gt: new Date() } },
          data: { usedAt: new Date() },
        });
        if (spent.count !== 1) throw invalid();
        const link = await tx.emailVerification.findUniqueOrThrow({ where: { tokenHash: hashToken(token) } });
        const verified = await tx.user.updateMany({
          where: { id: link.userId, email: link.email },
          data: { emailVerifiedAt: new Date() },
        });
        // The account changed its address after the link was sent: the link proves nothing about the new one.
        if (verified.count !== 1) throw invalid();
        return tx.user.findUniqueOrThrow({ where: { id: link.userId } });
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')
        throw new DomainError('USER_EMAIL_TAKEN', 'another account has verified this address', {
          fields: [{ field: 'email', message: 'is taken' }],
        });
      throw error;
    }
  }

  private async sendLink(user: User): Promise<void> {
    const token = randomBytes(32).toString('base64url');
    await this.prisma.emailVerification.create({
      data: {
        tokenHash: hashToken(token),
        userId: user.id,
        email: user.email,
        expiresAt: new Date(Date.now() + this.settings.ttlSeconds * 1000),
      },
    });
    await this.mailer.send({
      to: user.email,
      subject: 'Verify your email address',
      text: [
        `Hello ${user.displayName},`,
        '',
        `Someone signed up as "${user.login}" with this address. If it was you, open this link to verify it:`,
        '',
        `${this.settings.linkUrl}#token=${token}`,
        '',
        `The link works once, for ${Math.round(this.settings.ttlSeconds / 3600)} hours. If it was not you, ignore this mail.`,
      ].join('\n'),
    });
  }

  private async sendAlreadyRegistered(user: User, holder: User): Promise<void> {
    await this.mailer.send({
      to: user.email,
      subject: 'You already have an account',
      text: [
        'Hello,',
        '',
        `Someone just signed up as "${user.login}" with this address, which already belongs to the account "${holder.login}".`,
        'If it was you, log in to that account instead (the new one cannot use this address). If it was not you, ignore this mail.',
      ].join('\n'),
    });
  }
}
