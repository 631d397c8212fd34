import { randomUUID } from 'node:crypto';
import { DomainError } from '../../../../kernel/errors';
import { ChatLimiter } from './chat-limiter';

const limits = { viewerMessages: 3, moderatorMessages: 5 };

async function sendUntilRefused(limiter: ChatLimiter, channelId: string, userId: string, privileged: boolean) {
  for (let sent = 0; sent < 100; sent += 1) {
    try {
      await limiter.consume(channelId, userId, privileged);
    } catch (error) {
      return { sent, error: error as DomainError };
    }
  }
  throw new Error('never refused');
}

describe('ChatLimiter', () => {
  it('should allow viewers and moderators their own number of messages, then refuse with Retry-After', async () => {
    const limiter = new ChatLimiter(limits);
    const channelId = randomUUID();
    const viewer = await sendUntilRefused(limiter, channelId, randomUUID(), false);
    expect(viewer.sent).toBe(3);
    expect(viewer.error).toBeInstanceOf(DomainError);
    expect(viewer.error.code).toBe('RATE_LIMITED');
    expect(viewer.error.retryAfter).toBeGreaterThanOrEqual(1);
    expect(viewer.error.retryAfter).toBeLessThanOrEqual(30);
    expect((await sendUntilRefused(limiter, channelId, randomUUID(), true)).sent).toBe(5);
  });

  it('should count each room separately', async () => {
    const limiter = new ChatLimiter(limits);
    const userId = randomUUID();
    expect((await sendUntilRefused(limiter, randomUUID(), userId, false)).sent).toBe(3);
    expect((await sendUntilRefused(limiter, randomUUID(), userId, false)).sent).toBe(3);
  });
});
