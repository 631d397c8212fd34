import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import type { Logger } from '../../../../kernel/log';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Where the user domain's mail goes: an SMTP server in production, files on disk for the embedded default. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** Sends over SMTP (`smtp://` or `smtps://`, credentials in the URL) through nodemailer. */
export function smtpMailer(url: string, from: string): Mailer {
  const transport = createTransport(url, { from });
  return {
    async send(message) {
      await transport.sendMail(message);
    },
  };
}

/**
 * Writes each message as an RFC 5322 file (`.eml`, what a mail client opens) under `dir` and logs where, so a
 * newcomer under `npm start` can follow a link no server delivered.
 */
export function directoryMailer(dir: string, from: string, logger: Logger): Mailer {
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' }, { from });
  return {
    async send(message) {
      const info = await transport.sendMail(message);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^\w.-]/g, '')}.eml`);
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      const links = message.text.match(/https?:\/\/\S+/g) ?? [];
      logger.info({ to: message.to, subject: message.subject, file, links }, 'mail written to a file (SMTP_URL is not set)');
    },
  };
}
