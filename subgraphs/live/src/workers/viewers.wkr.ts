import { combineConsumers, createConsumer, type Consumer } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import type { ViewersService } from '../services/viewers.service';

export const VIEWERS_GROUP = 'live-viewers-wkr';
const TOPIC = 'live.viewers.counted.v1';

/**
 * live-viewers-wkr: the realtime gateway's viewer counts onto the streams on air (current and peak). The topic is
 * keyed by gateway instance, so one instance's reports arrive in order; reports of different instances may be
 * applied at once by several workers, which the service serialises per channel.
 */
export function createLiveViewersWorker(bus: EventBus, viewers: ViewersService, logger: Logger): Consumer {
  return combineConsumers(
    bus,
    [TOPIC],
    [
      createConsumer({
        bus,
        groupId: VIEWERS_GROUP,
        topic: TOPIC,
        logger,
        parse: (value: string) => parseEvent(TOPIC, value),
        handle: async (event) => {
          const outcome = await viewers.applyReport(event);
          logger.debug(
            { eventId: event.id, instanceId: event.data.instanceId, channels: event.data.counts.length, outcome },
            'viewer counts',
          );
        },
      }),
    ],
  );
}
