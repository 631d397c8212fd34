import { randomUUID } from 'node:crypto';
import { makeEvent } from '../../../../kernel/events';
import { createScratchDatabase } from '../../../../test/support/database';
import { connectUserDb, type UserDb } from '../data/db';
import { applyLoginDefaults, loginOverrides } from './login-defaults';
import { LoginLimiter } from './login-limiter';

/** The platform's login limits against a real PostgreSQL: staff's change applies to the next logins. */
describe('platform login limits', () => {
  let db: UserDb;
  let drop: (() => Promise<void>) | undefined;
  const chat = {
    slowModeSeconds: null,
    followersOnlyMinutes: null,
    subscriberOnly: false,
    emoteOnly: false,
    uniqueChat: false,
    blockedTerms: [],
  };
  const event = (version: number, login?: { accountFailures?: number | null }) =>
    makeEvent('ptfm.defaults.updated.v1', { version, changedAt: new Date().toISOString(), chat, ...(login && { login }) });

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectUserDb(database.url, 2);
  });

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('should hold the next logins to the failures staff set, keep the highest version, and fall back to the configured ones', async () => {
    const limiter = new LoginLimiter(
      { accountFailures: 5, accountLockSeconds: 900, attemptsPerIpPerMinute: 1000 },
      undefined,
      loginOverrides(db.prisma, 0),
    );
    const attempts = async (login: string) => {
      let checked = 0;
      for (let i = 0; i < 10; i += 1) {
        if (
          await limiter.beforeAttempt(login, '203.0.113.9').then(
            () => true,
            () => false,
          )
        )
          checked += 1;
      }
      return checked;
    };
    expect(await attempts(`a_${randomUUID()}`)).toBe(5);
    expect(await applyLoginDefaults(db.prisma, event(2, { accountFailures: 3 }))).toBe('applied');
    expect(await applyLoginDefaults(db.prisma, event(1, { accountFailures: 50 }))).toBe('stale');
    expect(await attempts(`b_${randomUUID()}`)).toBe(3);
    // An event without login limits (published before they were defaults) gives the configured ones back.
    expect(await applyLoginDefaults(db.prisma, event(3))).toBe('applied');
    expect(await attempts(`c_${randomUUID()}`)).toBe(5);
  });

  it('should read the limits at most once per interval', async () => {
    const read = jest.spyOn(db.prisma.loginDefaults, 'findUnique');
    const current = loginOverrides(db.prisma, 60_000);
    await Promise.all([current(), current(), current()]);
    expect(read).toHaveBeenCalledTimes(1);
    read.mockRestore();
  });
});
