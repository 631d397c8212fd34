import { combineConsumers, createConsumer, type Consumer } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent, type EventOf, type Topic } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import type { AnalysisService } from '../services/analysis.service';

export const ANALYSIS_GROUP = 'ptfm-analysis-wkr';

/** The signal each consumed topic gives. */
const HANDLERS = {
  'user.account.created.v1': (a: AnalysisService, e: EventOf<'user.account.created.v1'>, g: string) => a.accountCreated(e, g),
  'chnl.follow.created.v1': (a: AnalysisService, e: EventOf<'chnl.follow.created.v1'>, g: string) => a.followCreated(e, g),
  'chat.messages.refused.v1': (a: AnalysisService, e: EventOf<'chat.messages.refused.v1'>, g: string) => a.chatMessagesRefused(e, g),
} satisfies { [T in Topic]?: (a: AnalysisService, e: EventOf<T>, group: string) => Promise<unknown> };

export const ANALYSIS_TOPICS = Object.keys(HANDLERS) as (keyof typeof HANDLERS)[];

/** The consumer group of one topic: a Kafka group's members must all subscribe to the same topics. */
export const analysisGroup = (topic: string) => `${ANALYSIS_GROUP}.${topic}`;

/** ptfm-analysis-wkr: account analysis from the user, chnl and chat events, one consumer group per topic. */
export function createPtfmAnalysisWorker(bus: EventBus, analysis: AnalysisService, logger: Logger): Consumer {
  const consumers = ANALYSIS_TOPICS.map((topic) => {
    const group = analysisGroup(topic);
    const handler = HANDLERS[topic] as (a: AnalysisService, e: EventOf<typeof topic>, g: string) => Promise<unknown>;
    return createConsumer({
      bus,
      groupId: group,
      topic,
      logger,
      parse: (value: string) => parseEvent(topic, value),
      handle: async (event) => {
        const outcome = await handler(analysis, event, group);
        if (outcome === 'opened') logger.info({ eventId: event.id, topic }, 'trust and safety case opened');
        else logger.debug({ eventId: event.id, topic, outcome }, 'analysis signal handled');
      },
    });
  });
  return combineConsumers(bus, ANALYSIS_TOPICS, consumers);
}
