import { randomBytes } from 'node:crypto';
import { KeyCipher, streamKeyHash } from './key-cipher';

describe('stream keys at rest', () => {
  const cipher = new KeyCipher(randomBytes(32).toString('base64'));

  it('should decrypt what it encrypted, never storing the key in clear nor twice the same', () => {
    const stored = cipher.encrypt('live_secret-key');
    expect(stored).not.toContain('live_secret-key');
    expect(cipher.encrypt('live_secret-key')).not.toBe(stored);
    expect(cipher.decrypt(stored)).toBe('live_secret-key');
  });

  it('should refuse a stored key altered in place or read with another key', () => {
    const stored = cipher.encrypt('live_secret-key');
    const [version, nonce, tag, body] = stored.split('.');
    const altered = Buffer.from(body, 'base64url');
    altered[0] ^= 1;
    expect(() => cipher.decrypt([version, nonce, tag, altered.toString('base64url')].join('.'))).toThrow();
    expect(() => new KeyCipher(randomBytes(32).toString('base64')).decrypt(stored)).toThrow();
  });

  it('should refuse an encryption key that is not 32 bytes', () => {
    expect(() => new KeyCipher(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
  });

  it('should look keys up by their SHA-256', () => {
    expect(streamKeyHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
