import { createConsumer } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import type { ChannelsService } from '../services/channels.service';

export const PROVISION_GROUP = 'chnl-provision-wkr';
const TOPIC = 'user.account.created.v1';

/** chnl-provision-wkr: every new account gets its channel. Sign-up never writes the channel domain's tables. */
export function createProvisionWorker(bus: EventBus, channels: ChannelsService, logger: Logger) {
  return createConsumer({
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
}
