import { combineConsumers, createConsumer, type Consumer } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import type { PrismaClient } from '../data/prisma/client';
import { applyLoginDefaults } from '../services/login-defaults';
import { AUDIT_TOPICS, appendDomainRecord } from '../services/staff/audit-log';

export const AUDIT_GROUP = 'user-audit-wkr';

const DEFAULTS_TOPIC = 'ptfm.defaults.updated.v1';

/**
 * user-audit-wkr: the staff actions other domains record (categories, platform defaults...) appended to the one
 * staff audit log that `GET /admin/v1/audit-log` reads, and the platform's login limits staff set. One consumer
 * group per topic.
 */
export function createUserAuditWorker(bus: EventBus, prisma: PrismaClient, logger: Logger): Consumer {
  return combineConsumers(
    bus,
    [...AUDIT_TOPICS, DEFAULTS_TOPIC],
    [
      ...AUDIT_TOPICS.map((topic) =>
        createConsumer({
          bus,
          groupId: `${AUDIT_GROUP}.${topic}`,
          topic,
          logger,
          parse: (value: string) => parseEvent(topic, value),
          handle: async (event) => {
            const outcome = await appendDomainRecord(prisma, event);
            logger.debug({ eventId: event.id, topic, action: event.data.action, outcome }, 'audit record appended');
          },
        }),
      ),
      createConsumer({
        bus,
        groupId: `${AUDIT_GROUP}.${DEFAULTS_TOPIC}`,
        topic: DEFAULTS_TOPIC,
        logger,
        parse: (value: string) => parseEvent(DEFAULTS_TOPIC, value),
        handle: async (event) => {
          const outcome = await applyLoginDefaults(prisma, event);
          logger.info({ eventId: event.id, version: event.data.version, outcome }, 'login limits applied');
        },
      }),
    ],
  );
}
