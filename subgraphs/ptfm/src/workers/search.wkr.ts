import { combineConsumers, createConsumer, type Consumer } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent, type EventOf, type Topic } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import type { SearchService } from '../services/search.service';

export const SEARCH_GROUP = 'ptfm-search-wkr';

/** What each consumed topic does to the read model. */
const HANDLERS = {
  'user.account.created.v1': (s: SearchService, e: EventOf<'user.account.created.v1'>, g: string) => s.accountCreated(e, g),
  'user.account.suspended.v1': (s: SearchService, e: EventOf<'user.account.suspended.v1'>, g: string) => s.accountStatusChanged(e, g),
  'user.account.unsuspended.v1': (s: SearchService, e: EventOf<'user.account.unsuspended.v1'>, g: string) => s.accountStatusChanged(e, g),
  'chnl.channel.created.v1': (s: SearchService, e: EventOf<'chnl.channel.created.v1'>, g: string) => s.channelCreated(e, g),
  'chnl.channel.updated.v1': (s: SearchService, e: EventOf<'chnl.channel.updated.v1'>, g: string) => s.channelUpdated(e, g),
  'live.stream.started.v1': (s: SearchService, e: EventOf<'live.stream.started.v1'>, g: string) => s.streamStarted(e, g),
  'live.stream.ended.v1': (s: SearchService, e: EventOf<'live.stream.ended.v1'>, g: string) => s.streamEnded(e, g),
  'live.viewers.counted.v1': (s: SearchService, e: EventOf<'live.viewers.counted.v1'>) => s.viewersCounted(e),
} satisfies { [T in Topic]?: (s: SearchService, e: EventOf<T>, group: string) => Promise<unknown> };

export const SEARCH_TOPICS = Object.keys(HANDLERS) as (keyof typeof HANDLERS)[];

/** The consumer group of one topic: a Kafka group's members must all subscribe to the same topics. */
export const searchGroup = (topic: string) => `${SEARCH_GROUP}.${topic}`;

/**
 * ptfm-search-wkr: keeps search's copies of accounts and channels from the user, chnl and live events, one consumer
 * group per topic (a suspension is not queued behind a burst of channel updates). The catalogue is ptfm's own
 * table, searched as it is.
 */
export function createPtfmSearchWorker(bus: EventBus, search: SearchService, logger: Logger): Consumer {
  const consumers = SEARCH_TOPICS.map((topic) => {
    const group = searchGroup(topic);
    const handler = HANDLERS[topic] as (s: SearchService, e: EventOf<typeof topic>, g: string) => Promise<unknown>;
    return createConsumer({
      bus,
      groupId: group,
      topic,
      logger,
      parse: (value: string) => parseEvent(topic, value),
      handle: async (event) => {
        const outcome = await handler(search, event, group);
        logger.debug({ eventId: event.id, topic, outcome }, 'search read model event handled');
      },
    });
  });
  return combineConsumers(bus, SEARCH_TOPICS, consumers);
}
