import { Secret, TOTP } from 'otpauth';

const ISSUER = 'Streaming Platform Admin';
const PERIOD_SECONDS = 30;

export interface TotpEnrolment {
  secret: string;
  uri: string;
}

/** A new shared secret (160 bits, as RFC 4226 recommends) and the otpauth:// URI an authenticator app scans. */
export function newTotpEnrolment(label: string): TotpEnrolment {
  const secret = new Secret({ size: 20 });
  return { secret: secret.base32, uri: new TOTP({ issuer: ISSUER, label, secret, period: PERIOD_SECONDS }).toString() };
}

/**
 * The time step a code is valid for (one step of clock drift either way), or null. Callers keep the last step
 * accepted per secret and refuse steps at or before it, so an observed code cannot be replayed.
 */
export function totpStep(secret: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = new TOTP({ issuer: ISSUER, secret: Secret.fromBase32(secret), period: PERIOD_SECONDS });
  const delta = totp.validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
}

/** The current code for a secret: what an authenticator app shows (tests and the embedded demo use it). */
export const totpCode = (secret: string, now = Date.now()): string =>
  new TOTP({ issuer: ISSUER, secret: Secret.fromBase32(secret), period: PERIOD_SECONDS }).generate({ timestamp: now });
