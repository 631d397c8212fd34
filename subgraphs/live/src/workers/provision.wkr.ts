import { createConsumer, deadLetterTopic, type Consumer, type ConsumerStats, type ConsumerStatus } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import type { IngestService } from '../services/ingest.service';
import type { StreamsService } from '../services/streams.service';

export const PROVISION_GROUP = 'live-provision-wkr';

/** The consumer group of one topic: a Kafka group's members must all subscribe to the same topics. */
export const provisionGroup = (topic: string) => `${PROVISION_GROUP}.${topic}`;

/** The worker's consumers as one: it is ready when all of them are. */
export function consumerOf(bus: EventBus, topics: string[], consumers: Consumer[]): Consumer {
  return {
    start: async () => {
      // All topics in one request: kafkajs creating topics from several calls at once can fail on leader metadata.
      await bus.ensureTopics(topics.flatMap((topic) => [topic, deadLetterTopic(topic)]));
      await Promise.all(consumers.map((c) => c.start()));
    },
    stop: async () => {
      await Promise.all(consumers.map((c) => c.stop()));
    },
    status: (): ConsumerStatus => {
      const states = consumers.map((c) => c.status());
      for (const state of ['stopped', 'unhealthy', 'waiting'] as const) if (states.includes(state)) return state;
      return 'ready';
    },
    stats: (): ConsumerStats =>
      consumers.reduce(
        (sum, c) => {
          const s = c.stats();
          return {
            processed: sum.processed + s.processed,
            retried: sum.retried + s.retried,
            deadLettered: sum.deadLettered + s.deadLettered,
          };
        },
        { processed: 0, retried: 0, deadLettered: 0 },
      ),
  };
}

/**
 * live-provision-wkr: every new channel gets its live input at the provider, and the domain keeps the channels'
 * owners, titles and categories, which a stream takes when it goes live.
 */
export function createLiveProvisionWorker(bus: EventBus, ingest: IngestService, streams: StreamsService, logger: Logger): Consumer {
  const created = 'chnl.channel.created.v1';
  const updated = 'chnl.channel.updated.v1';
  return consumerOf(
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
