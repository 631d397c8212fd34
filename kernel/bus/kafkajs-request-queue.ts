import RequestQueue = require('kafkajs/src/network/requestQueue');

/** kafkajs's own interval for a queue that has requests waiting and no throttle to wait for. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/**
 * kafkajs 2.2.4, its last release, schedules the check of a connection's pending requests even when none is
 * pending, after a negative delay (1 ms) unless the broker throttles, and each check schedules the next: every
 * connection to the broker woke its process about a thousand times a second while idle (tulios/kafkajs#1556 and
 * #1704; the fix, PR #1667, was never released). An idle worker spent about 5% of a core on it, and a benchmark
 * runs twenty of them on two cores. With nothing pending there is nothing to check: pushing a request, its answer
 * and its timeout check the queue themselves. With requests pending, the check is scheduled as kafkajs does.
 */
function scheduleCheckPendingRequests(this: RequestQueue): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const throttled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    throttled > 0 ? throttled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

if (typeof RequestQueue.prototype.scheduleCheckPendingRequests !== 'function') {
  throw new Error('kafkajs changed: its RequestQueue has no scheduleCheckPendingRequests to correct (kernel/bus/kafkajs-request-queue.ts)');
}
RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
