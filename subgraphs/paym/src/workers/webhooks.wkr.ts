import { combineConsumers, createConsumer, type Consumer } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import type { EntitlementsService } from '../services/entitlements.service';
import type { ProductsService } from '../services/products.service';

export const WEBHOOKS_GROUP = 'paym-webhooks-wkr';
const RECEIVED = 'paym.webhook.received.v1';
const CHANNELS = 'chnl.channel.created.v1';
const channelsGroup = `${WEBHOOKS_GROUP}.${CHANNELS}`;

/**
 * paym-webhooks-wkr: applies each recorded store notification to its subscriber's entitlement, and learns each new
 * channel's owner (who manages its products). One consumer group per topic: a group's members must all subscribe to
 * the same topics.
 */
export function createPaymWebhooksWorker(
  bus: EventBus,
  entitlements: EntitlementsService,
  products: ProductsService,
  logger: Logger,
): Consumer {
  return combineConsumers(
    bus,
    [RECEIVED, CHANNELS],
    [
      createConsumer({
        bus,
        groupId: WEBHOOKS_GROUP,
        topic: RECEIVED,
        logger,
        parse: (value: string) => parseEvent(RECEIVED, value),
        handle: async (event) => {
          const outcome = await entitlements.apply(event, WEBHOOKS_GROUP);
          logger.info(
            { eventId: event.id, store: event.data.store, eventType: event.data.eventType, outcome },
            'store notification applied',
          );
        },
      }),
      createConsumer({
        bus,
        groupId: channelsGroup,
        topic: CHANNELS,
        logger,
        parse: (value: string) => parseEvent(CHANNELS, value),
        handle: async (event) => {
          const outcome = await products.channelCreated(event, channelsGroup);
          logger.debug({ eventId: event.id, outcome }, 'channel owner');
        },
      }),
    ],
  );
}
