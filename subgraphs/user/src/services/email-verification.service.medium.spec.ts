import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { newKeyPair } from '../../../../kernel/keys';
import { createLogger } from '../../../../kernel/log';
import { createScratchDatabase } from '../../../../test/support/database';
import { parseMail, verificationToken, type ReceivedMail } from '../../../../test/support/mail';
import { eventually } from '../../../../test/support/eventually';
import { connectUserDb, type UserDb } from '../data/db';
import { smtpMailer } from '../mail/mailer';
import { AccountsService } from './accounts.service';
import { EmailVerificationService } from './email-verification.service';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from './login-limiter';

/** Email verification against a real PostgreSQL, its mail delivered over SMTP to a local server the test runs. */
describe(EmailVerificationService.name, () => {
  let db: UserDb;
  let drop: () => Promise<void>;
  let smtp: SMTPServer;
  let accounts: AccountsService;
  let verification: EmailVerificationService;
  const inbox: ReceivedMail[] = [];
  const log = createLogger('test', 'silent');

  const signUp = async (email?: string) => {
    const login = `mail_${randomBytes(5).toString('hex')}`;
    const user = await accounts.signUp({ login, email: email ?? `${login}@example.test`, password: 'a-good-password' });
    await verification.afterSignUp(user, log);
    return user;
  };
  const mailsTo = (address: string, count = 1) =>
    eventually(() => {
      const mails = inbox.filter((mail) => mail.to === address);
      return mails.length >= count && mails;
    });

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectUserDb(database.url, 4);
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          parseMail(Buffer.concat(chunks)).then((mail) => {
            inbox.push(mail);
            done();
          }, done);
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const { port } = smtp.server.address() as AddressInfo;
    accounts = new AccountsService(db.prisma, newKeyPair().signing, new LoginLimiter(DEFAULT_LOGIN_LIMITS));
    verification = new EmailVerificationService(db.prisma, smtpMailer(`smtp://127.0.0.1:${port}`, 'Platform <no-reply@example.test>'), {
      linkUrl: 'https://app.example.test/verify-email',
      ttlSeconds: 3600,
    });
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => smtp?.close(() => resolve()));
    await db?.close();
    await drop?.();
  });

  it('should send a link over SMTP whose token verifies the address once, and store only its hash', async () => {
    const user = await signUp();
    const [mail] = await mailsTo(user.email);
    expect(mail.text).toContain('https://app.example.test/verify-email#token=');
    const token = verificationToken(mail);
    const stored = await db.prisma.emailVerification.findMany({ where: { userId: user.id } });
    expect(stored).toHaveLength(1);
    expect(stored[0].tokenHash).not.toContain(token);

    expect(await verification.verify(token)).toMatchObject({ id: user.id, emailVerifiedAt: expect.any(Date) });
    await expect(verification.verify(token)).rejects.toMatchObject({ code: 'USER_INVALID_VERIFICATION_TOKEN' });
  });

  it('should refuse an expired link and one sent for an address the account no longer has', async () => {
    const user = await signUp();
    const expired = verificationToken((await mailsTo(user.email))[0]);
    await db.prisma.emailVerification.updateMany({ where: { userId: user.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await expect(verification.verify(expired)).rejects.toMatchObject({ code: 'USER_INVALID_VERIFICATION_TOKEN' });

    await verification.resend(user.id);
    const fresh = verificationToken((await mailsTo(user.email, 2))[1]);
    await db.prisma.user.update({ where: { id: user.id }, data: { email: `moved_${user.email}` } });
    await expect(verification.verify(fresh)).rejects.toMatchObject({ code: 'USER_INVALID_VERIFICATION_TOKEN' });
    expect((await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).emailVerifiedAt).toBeNull();
  });

  it('should tell an address that a verified account holds it instead of sending a link', async () => {
    const owner = await signUp();
    await verification.verify(verificationToken((await mailsTo(owner.email))[0]));
    const copycat = await signUp(owner.email);
    const [, notice] = await mailsTo(owner.email, 2);
    expect(notice.subject).toBe('You already have an account');
    expect(notice.text).toContain(owner.login);
    expect(notice.text).toContain(copycat.login);
    expect(notice.text).not.toContain('#token=');
    expect(await db.prisma.emailVerification.count({ where: { userId: copycat.id } })).toBe(0);
  });

  it('should keep the sign-up when the mail cannot be delivered, and let the account ask again', async () => {
    const broken = new EmailVerificationService(db.prisma, smtpMailer('smtp://127.0.0.1:1', 'x@example.test'), {
      linkUrl: 'https://app.example.test/verify-email',
      ttlSeconds: 60,
    });
    const login = `lost_${randomBytes(5).toString('hex')}`;
    const user = await accounts.signUp({ login, email: `${login}@example.test`, password: 'a-good-password' });
    await expect(broken.afterSignUp(user, log)).resolves.toBeUndefined();
    await verification.resend(user.id);
    expect(await verification.verify(verificationToken((await mailsTo(user.email))[0]))).toMatchObject({ id: user.id });
    await expect(verification.resend(user.id)).rejects.toMatchObject({ code: 'USER_EMAIL_ALREADY_VERIFIED' });
  });
});
