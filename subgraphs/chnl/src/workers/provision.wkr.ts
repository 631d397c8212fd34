import { combineConsumers, createConsumer } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import type { ChannelsService } from '../services/channels.service';

export const PROVISION_GROUP = 'chnl-provision-wkr';
const TOPIC = 'user.account.created.v1';

/** The catalogue's topics, each read in a group of its own (a Kafka group's members subscribe to the same topics). */
export const CATEGORY_TOPICS = ['ptfm.category.created.v1', 'ptfm.category.updated.v1'] as const;
export const categoryGroup = (topic: (typeof CATEGORY_TOPICS)[number]) => `${PROVISION_GROUP}.${topic}`;

/**
 * chnl-provision-wkr: every new account gets its channel (sign-up never writes the channel domain's tables), and the
 * domain keeps its copy of the ptfm category catalogue, which channels reference.
 */
export function createProvisionWorker(bus: EventBus, channels: ChannelsService, logger: Logger) {
  const accounts = createConsumer({
    bus,
    groupId: PROVISION_GROUP,
    topic: TOPIC,
    logger,
    parse: (value: string) => parseEvent(TOPIC, value),
    handle: async (event) => {
      const outcome = await channels.provision(event, PROVISION_GROUP);
      logger.info({ eventId: event.id, userId: event.data.userId, outcome }, 'channel provisioning');
    },
  });
  const categories = CATEGORY_TOPICS.map((topic) =>
    createConsumer({
      bus,
      groupId: categoryGroup(topic),
      topic,
      logger,
      parse: (value: string) => parseEvent(topic, value),
      handle: async (event) => {
        const outcome = await channels.categoryChanged(event, categoryGroup(topic));
        logger.info({ eventId: event.id, categoryId: event.data.categoryId, outcome }, 'category copied');
      },
    }),
  );
  return combineConsumers(bus, [TOPIC, ...CATEGORY_TOPICS], [accounts, ...categories]);
}
