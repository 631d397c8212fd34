import { createConsumer, deadLetterTopic, type Consumer, type ConsumerStats, type ConsumerStatus } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent, type EventOf, type Topic } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import type { ProjectionsService } from '../services/projections.service';

export const PROVISION_GROUP = 'chat-provision-wkr';

/** What each consumed topic does to the chat domain's projections. */
const HANDLERS = {
  'chnl.channel.created.v1': (p: ProjectionsService, e: EventOf<'chnl.channel.created.v1'>, g: string) => p.roomCreated(e, g),
  'user.account.created.v1': (p: ProjectionsService, e: EventOf<'user.account.created.v1'>, g: string) => p.chatterCreated(e, g),
  'chnl.follow.created.v1': (p: ProjectionsService, e: EventOf<'chnl.follow.created.v1'>, g: string) => p.followChanged(e, g),
  'chnl.follow.deleted.v1': (p: ProjectionsService, e: EventOf<'chnl.follow.deleted.v1'>, g: string) => p.followChanged(e, g),
  'chnl.moderator.added.v1': (p: ProjectionsService, e: EventOf<'chnl.moderator.added.v1'>, g: string) => p.roleChanged(e, g),
  'chnl.moderator.removed.v1': (p: ProjectionsService, e: EventOf<'chnl.moderator.removed.v1'>, g: string) => p.roleChanged(e, g),
  'chnl.vip.added.v1': (p: ProjectionsService, e: EventOf<'chnl.vip.added.v1'>, g: string) => p.roleChanged(e, g),
  'chnl.vip.removed.v1': (p: ProjectionsService, e: EventOf<'chnl.vip.removed.v1'>, g: string) => p.roleChanged(e, g),
} satisfies { [T in Topic]?: (p: ProjectionsService, e: EventOf<T>, group: string) => Promise<string> };

export const PROVISION_TOPICS = Object.keys(HANDLERS) as (keyof typeof HANDLERS)[];

/** The consumer group of one topic: a Kafka group's members must all subscribe to the same topics. */
export const provisionGroup = (topic: string) => `${PROVISION_GROUP}.${topic}`;

function consumerFor<T extends keyof typeof HANDLERS>(topic: T, bus: EventBus, projections: ProjectionsService, logger: Logger): Consumer {
  const group = provisionGroup(topic);
  const handler = HANDLERS[topic] as (p: ProjectionsService, e: EventOf<T>, g: string) => Promise<string>;
  return createConsumer({
    bus,
    groupId: group,
    topic,
    logger,
    parse: (value: string) => parseEvent(topic, value),
    handle: async (event) => {
      const outcome = await handler(projections, event, group);
      logger.debug({ eventId: event.id, topic, outcome }, 'chat projection');
    },
  });
}

/**
 * chat-provision-wkr: a room for every new channel, and the chat domain's copies of chatters' names, follows,
 * moderators and VIPs. One consumer per topic; the worker is ready when all of them are.
 */
export function createChatProvisionWorker(bus: EventBus, projections: ProjectionsService, logger: Logger): Consumer {
  const consumers = PROVISION_TOPICS.map((topic) => consumerFor(topic, bus, projections, logger));
  return {
    start: async () => {
      // All topics in one request: kafkajs creating topics from several calls at once can fail on leader metadata.
      await bus.ensureTopics(PROVISION_TOPICS.flatMap((topic) => [topic, deadLetterTopic(topic)]));
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
