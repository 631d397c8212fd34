import { combineConsumers, createConsumer, type Consumer } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import { scheduleRunner } from '../../../../kernel/runner';
import { connectLiveDb, type LiveDb } from '../data/db';
import type { ClipsService } from '../services/clips.service';
import type { StreamsService } from '../services/streams.service';
import type { VodsService } from '../services/vods.service';

export const WEBHOOKS_GROUP = 'live-webhooks-wkr';
/** The drop check's name, which also names its advisory lock: one instance of the worker checks at a time. */
const DROP_CHECK = 'live-webhooks-drop-check';
const TOPIC = 'live.webhook.received.v1';

/**
 * live-webhooks-wkr: applies each recorded provider webhook to its channel's stream, VOD or clip. The topic is keyed by channel,
 * so one channel's webhooks reach one consumer in the order they were recorded; their provider timestamps order
 * them whatever that order was. Beside it, every `dropCheck.intervalMs`, it ends the streams whose drop outlived the
 * reconnect window at a provider that reports no such end (Livepeer).
 */
export function createLiveWebhooksWorker(
  bus: EventBus,
  { streams, vods, clips }: { streams: StreamsService; vods: VodsService; clips: ClipsService },
  logger: Logger,
  dropCheck?: { db: LiveDb; intervalMs: number },
): Consumer {
  const checks = dropCheck
    ? [
        scheduleRunner(
          { name: DROP_CHECK, connect: connectLiveDb, pass: async (_db, now) => ({ dropsEnded: await streams.endExpiredDrops(now) }) },
          dropCheck.db,
          dropCheck.intervalMs,
          logger,
        ),
      ]
    : [];
  return combineConsumers(
    bus,
    [TOPIC],
    [
      createConsumer({
        bus,
        groupId: WEBHOOKS_GROUP,
        topic: TOPIC,
        logger,
        parse: (value: string) => parseEvent(TOPIC, value),
        handle: async (event) => {
          // A clip's asset event completes the clip; a recording's drives its VOD; any other, the channel's stream.
          const outcome = event.data.clipId
            ? await clips.applyAsset(event, WEBHOOKS_GROUP)
            : event.data.asset
              ? await vods.applyAsset(event, WEBHOOKS_GROUP)
              : await streams.applyWebhook(event, WEBHOOKS_GROUP);
          logger.info(
            { eventId: event.id, channelId: event.data.channelId, eventType: event.data.eventType, outcome },
            'live webhook applied',
          );
        },
      }),
      ...checks,
    ],
  );
}
