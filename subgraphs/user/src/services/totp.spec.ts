import { newTotpEnrolment, totpCode, totpStep } from './totp';

describe('totp', () => {
  const { secret, uri } = newTotpEnrolment('alice');
  const now = Date.UTC(2026, 10, 26, 12, 0, 0);

  it('enrols with a base32 secret an authenticator app can scan', () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri).toContain(`secret=${secret}`);
    expect(uri.startsWith('otpauth://totp/')).toBe(true);
  });

  it('accepts the current code, and codes one step either side for clock drift', () => {
    const step = Math.floor(now / 30_000);
    expect(totpStep(secret, totpCode(secret, now), now)).toBe(step);
    expect(totpStep(secret, totpCode(secret, now - 30_000), now)).toBe(step - 1);
    expect(totpStep(secret, totpCode(secret, now + 30_000), now)).toBe(step + 1);
  });

  it("refuses old codes, another secret's codes and malformed input", () => {
    expect(totpStep(secret, totpCode(secret, now - 90_000), now)).toBeNull();
    expect(totpStep(newTotpEnrolment('bob').secret, totpCode(secret, now), now)).toBeNull();
    expect(totpStep(secret, '12345', now)).toBeNull();
    expect(totpStep(secret, 'abcdef', now)).toBeNull();
  });
});
