import RequestQueue = require('kafkajs/src/network/requestQueue');
import './kafkajs-request-queue';

const queue = () =>
  new RequestQueue({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: 'spec',
    broker: '127.0.0.1:9092',
    logger: { debug: () => undefined, warn: () => undefined },
  });

/** kafkajs's request queue as corrected by kernel/bus/kafkajs-request-queue.ts. */
describe('kafkajs request queue', () => {
  it('should schedule no check while no request is pending (kafkajs 2.2.4 checked every millisecond)', () => {
    const idle = queue();
    idle.checkPendingRequests();
    expect(idle.throttleCheckTimeoutId).toBeNull();
  });

  it('should check pending requests after the throttle the broker asked for, or after 10 ms', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const waiting = queue();
      const check = jest.spyOn(waiting, 'checkPendingRequests').mockImplementation(() => undefined);
      waiting.pending.push({});
      waiting.throttledUntil = Date.now() + 250;
      waiting.scheduleCheckPendingRequests();
      jest.advanceTimersByTime(249);
      expect(check).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(check).toHaveBeenCalledTimes(1);

      check.mockClear();
      waiting.throttledUntil = -1;
      waiting.scheduleCheckPendingRequests();
      jest.advanceTimersByTime(10);
      expect(check).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
