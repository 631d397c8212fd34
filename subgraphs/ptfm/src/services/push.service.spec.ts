import { parseRetryAfter, retryDelaySeconds } from './push.service';

describe('push retries', () => {
  it("should read a push service's Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse('2026-11-27T12:00:00.000Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Fri, 27 Nov 2026 12:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Fri, 27 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('should wait out a Retry-After, else double the delay, never past an hour', () => {
    expect([1, 2, 3, 4].map((attempts) => retryDelaySeconds(attempts))).toEqual([30, 60, 120, 240]);
    expect(retryDelaySeconds(1, 600)).toBe(600);
    expect(retryDelaySeconds(1, 0)).toBe(30);
    expect(retryDelaySeconds(1, 86_400)).toBe(3_600);
    expect(retryDelaySeconds(20)).toBe(3_600);
  });
});
