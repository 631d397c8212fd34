import type { Pool } from 'pg';
import { combineConsumers, createConsumer, type Consumer } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent, type EventOf, type Topic } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import { FANOUT_CHANNEL, type FanoutService } from '../services/fanout.service';
import type { ProjectionsService } from '../services/projections.service';
import { PUSH_CHANNEL, type PushService } from '../services/push.service';
import { createSliceRunner } from './slice-runner';

export const NOTIFY_GROUP = 'ptfm-notify-wkr';

interface Services {
  projections: ProjectionsService;
  fanout: FanoutService;
  /** Without it (no VAPID keys), nothing is pushed. */
  push?: PushService;
}

/** What each consumed topic does. */
const HANDLERS = {
  'user.account.created.v1': (s: Services, e: EventOf<'user.account.created.v1'>, g: string) => s.projections.accountCreated(e, g),
  'chnl.follow.created.v1': (s: Services, e: EventOf<'chnl.follow.created.v1'>, g: string) => s.projections.followChanged(e, g),
  'chnl.follow.deleted.v1': (s: Services, e: EventOf<'chnl.follow.deleted.v1'>, g: string) => s.projections.followChanged(e, g),
  'live.stream.started.v1': (s: Services, e: EventOf<'live.stream.started.v1'>, g: string) => s.fanout.plan(e, g),
} satisfies { [T in Topic]?: (s: Services, e: EventOf<T>, group: string) => Promise<unknown> };

export const NOTIFY_TOPICS = Object.keys(HANDLERS) as (keyof typeof HANDLERS)[];

const PUSH_TOPIC = 'ptfm.notification.created.v1';

/** The consumer group of one topic: a Kafka group's members must all subscribe to the same topics. */
export const notifyGroup = (topic: string) => `${NOTIFY_GROUP}.${topic}`;

/**
 * ptfm-notify-wkr: keeps the domain's projections of accounts and follows, plans a fan-out for every go-live,
 * writes the fan-outs' slices in `lanes` lanes (every instance takes slices of every fan-out), and, with VAPID keys,
 * queues and sends the Web Push of every notification. Ready when its consumers and its lanes are.
 */
export function createPtfmNotifyWorker(
  bus: EventBus,
  pool: Pool,
  services: Services,
  settings: { lanes: number; pollMs?: number },
  logger: Logger,
): Consumer {
  const slices = createSliceRunner({
    name: 'fanout-slices',
    pool,
    writeNext: () => services.fanout.writeNextSlice(),
    channel: FANOUT_CHANNEL,
    lanes: settings.lanes,
    pollMs: settings.pollMs,
    logger,
  });
  const consumers = NOTIFY_TOPICS.map((topic) => {
    const group = notifyGroup(topic);
    const handler = HANDLERS[topic] as (s: Services, e: EventOf<typeof topic>, g: string) => Promise<unknown>;
    return createConsumer({
      bus,
      groupId: group,
      topic,
      logger,
      parse: (value: string) => parseEvent(topic, value),
      handle: async (event) => {
        const outcome = await handler(services, event, group);
        // This instance's lanes start on the plan at once, without the round trip of its NOTIFY.
        if (topic === 'live.stream.started.v1') slices.wake();
        logger.debug({ eventId: event.id, topic, outcome }, 'ptfm event handled');
      },
    });
  });
  const { push } = services;
  if (!push) return combineConsumers(bus, NOTIFY_TOPICS, [...consumers, slices]);
  const pushers = createSliceRunner({
    name: 'pushers',
    pool,
    writeNext: () => push.sendDue(),
    channel: PUSH_CHANNEL,
    lanes: 1,
    pollMs: settings.pollMs,
    logger,
  });
  const group = notifyGroup(PUSH_TOPIC);
  const queue = createConsumer({
    bus,
    groupId: group,
    topic: PUSH_TOPIC,
    logger,
    parse: (value: string) => parseEvent(PUSH_TOPIC, value),
    handle: async (event) => {
      await push.queue(event, group);
      pushers.wake();
    },
  });
  return combineConsumers(bus, [...NOTIFY_TOPICS, PUSH_TOPIC], [...consumers, slices, queue, pushers]);
}
