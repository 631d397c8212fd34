import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { eventually } from './eventually';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
}

/** Parses an RFC 5322 message as a mail client would. */
export async function parseMail(raw: Buffer | string): Promise<ReceivedMail> {
  const parsed = await simpleParser(raw);
  const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
  return { to: to?.value[0]?.address ?? '', subject: parsed.subject ?? '', text: parsed.text ?? '' };
}

/** The mail the user domain wrote to `dir` (MAIL_DIR) for `address`, oldest first. */
export async function mailsTo(dir: string, address: string): Promise<ReceivedMail[]> {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.eml'))
    .sort();
  const mails = await Promise.all(files.map((name) => parseMail(readFileSync(join(dir, name)))));
  return mails.filter((mail) => mail.to === address);
}

/** The token of the verification link in a mail (after `#token=`). */
export function verificationToken(mail: ReceivedMail): string {
  const token = /#token=([\w-]+)/.exec(mail.text)?.[1];
  if (!token) throw new Error(`no verification link in "${mail.subject}": ${mail.text}`);
  return token;
}

/** Waits for `count` mails to `address` and returns them, oldest first. */
export const awaitMailsTo = (dir: string, address: string, count = 1): Promise<ReceivedMail[]> =>
  eventually(
    async () => {
      const mails = await mailsTo(dir, address);
      return mails.length >= count && mails;
    },
    15_000,
    `${count} mail(s) to ${address}`,
  );
