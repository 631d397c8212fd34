import { randomUUID } from 'node:crypto';
import { createMemoryBus } from './bus/memory';
import { makeEvent } from './events';
import { eventually } from '../test/support/eventually';
import { createLogger } from './log';
import { createRevocations } from './revocations';

describe(createRevocations.name, () => {
  const bus = createMemoryBus();
  const suspended = new Set<string>();
  const clock = { now: Date.parse('2026-11-27T12:00:00Z') };
  const revocations = createRevocations(
    bus,
    createLogger('test', 'silent'),
    'test-gtw',
    (userId) => suspended.add(userId),
    () => clock.now,
  );

  beforeAll(() => revocations.start());
  afterAll(async () => {
    await revocations.stop();
    await bus.close();
  });

  const suspend = async (userId: string, suspendedAt: string) => {
    const event = makeEvent('user.account.suspended.v1', { userId, suspendedAt });
    await bus.publish('user.account.suspended.v1', [{ key: userId, value: JSON.stringify(event) }]);
    await eventually(async () => suspended.has(userId));
  };

  it('should revoke the tokens issued at or before a suspension and no later one', async () => {
    const userId = randomUUID();
    await suspend(userId, '2026-11-27T11:00:00.000Z');
    expect(revocations.revoked(userId, Date.parse('2026-11-27T10:59:59Z'))).toBe(true);
    expect(revocations.revoked(userId, Date.parse('2026-11-27T11:00:00Z'))).toBe(true);
    expect(revocations.revoked(userId, Date.parse('2026-11-27T11:00:01Z'))).toBe(false);
    expect(revocations.revoked(randomUUID(), Date.parse('2026-11-27T10:00:00Z'))).toBe(false);
  });

  it('should clamp a suspension dated in the future to when it was received', async () => {
    const userId = randomUUID();
    await suspend(userId, '2099-01-01T00:00:00.000Z');
    expect(revocations.revoked(userId, clock.now - 1)).toBe(true);
    expect(revocations.revoked(userId, clock.now + 60_000)).toBe(false);
  });
});
