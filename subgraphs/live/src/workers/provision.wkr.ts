import { combineConsumers, createConsumer, type Consumer } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import type { IngestService } from '../services/ingest.service';
import type { StreamsService } from '../services/streams.service';

export const PROVISION_GROUP = 'live-provision-wkr';

/** The consumer group of one topic: a Kafka group's members must all subscribe to the same topics. */
export const provisionGroup = (topic: string) => `${PROVISION_GROUP}.${topic}`;

/**
 * live-provision-wkr: every new channel gets its live input at the provider, and the domain keeps the channels'
 * owners, titles and categories, which a stream takes when it goes live.
 */
export function createLiveProvisionWorker(bus: EventBus, ingest: IngestService, streams: StreamsService, logger: Logger): Consumer {
  const created = 'chnl.channel.created.v1';
  const updated = 'chnl.channel.updated.v1';
  return combineConsumers(
    bus,
    [created, updated],
    [
      createConsumer({
        bus,
        groupId: provisionGroup(created),
        topic: created,
        logger,
        parse: (value: string) => parseEvent(created, value),
        handle: async (event) => {
          const outcome = await ingest.provision(event, provisionGroup(created));
          logger.info({ eventId: event.id, channelId: event.data.channelId, outcome }, 'live input provisioning');
        },
      }),
      createConsumer({
        bus,
        groupId: provisionGroup(updated),
        topic: updated,
        logger,
        parse: (value: string) => parseEvent(updated, value),
        handle: async (event) => {
          const outcome = await streams.channelUpdated(event, provisionGroup(updated));
          logger.debug({ eventId: event.id, channelId: event.data.channelId, outcome }, 'live channel projection');
        },
      }),
    ],
  );
}
