import { combineConsumers, createConsumer, type Consumer } from '../../../../kernel/bus/consumer';
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
  'paym.subscription.activated.v1': (p: ProjectionsService, e: EventOf<'paym.subscription.activated.v1'>, g: string) =>
    p.subscriptionChanged(e, g),
  'paym.subscription.renewed.v1': (p: ProjectionsService, e: EventOf<'paym.subscription.renewed.v1'>, g: string) =>
    p.subscriptionChanged(e, g),
  'paym.subscription.ended.v1': (p: ProjectionsService, e: EventOf<'paym.subscription.ended.v1'>, g: string) => p.subscriptionChanged(e, g),
  'ptfm.defaults.updated.v1': (p: ProjectionsService, e: EventOf<'ptfm.defaults.updated.v1'>, g: string) => p.defaultsUpdated(e, g),
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
 * chat-provision-wkr: a room for every new channel (in the platform's default modes), and the chat domain's copies
 * of chatters' names, follows, moderators, VIPs, subscribers and the platform's chat defaults. One consumer per topic; the worker is ready when all of them are.
 */
export function createChatProvisionWorker(bus: EventBus, projections: ProjectionsService, logger: Logger): Consumer {
  return combineConsumers(
    bus,
    PROVISION_TOPICS,
    PROVISION_TOPICS.map((topic) => consumerFor(topic, bus, projections, logger)),
  );
}
