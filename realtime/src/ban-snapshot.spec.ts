import { getEventListeners } from 'node:events';
import { createLogger } from '../../kernel/log';
import { readBansUntilRead } from './ban-snapshot';

describe(readBansUntilRead.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('should keep trying while the router is down, leaving no listener on the signal for the waits it finished', async () => {
    const stopping = new AbortController();
    let attempts = 0;
    const source = async () => {
      attempts += 1;
      if (attempts <= 12) throw new Error('router down');
      return [];
    };
    const read = jest.fn();
    const reading = readBansUntilRead(source, createLogger('test', 'silent'), stopping.signal, read);
    while (!read.mock.calls.length) {
      expect(getEventListeners(stopping.signal, 'abort').length).toBeLessThanOrEqual(1);
      await jest.advanceTimersByTimeAsync(1_000);
    }
    await reading;
    expect(attempts).toBe(13);
    expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(0);
  });

  it('should stop waiting as soon as the signal aborts', async () => {
    const stopping = new AbortController();
    const reading = readBansUntilRead(
      () => Promise.reject(new Error('router down')),
      createLogger('test', 'silent'),
      stopping.signal,
      jest.fn(),
    );
    await jest.advanceTimersByTimeAsync(0);
    stopping.abort();
    await reading;
    expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(0);
  });
});
