import { combineConsumers, createConsumer, type Consumer } from '../../../../kernel/bus/consumer';
import type { EventBus } from '../../../../kernel/bus/port';
import { parseEvent } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import type { PrismaClient } from '../data/prisma/client';
import { AUDIT_TOPICS, appendDomainRecord } from '../services/staff/audit-log';

export const AUDIT_GROUP = 'user-audit-wkr';

/**
 * user-audit-wkr: the staff actions other domains record (categories, platform defaults...) appended to the one
 * staff audit log that `GET /admin/v1/audit-log` reads. One consumer group per topic.
 */
export function createUserAuditWorker(bus: EventBus, prisma: PrismaClient, logger: Logger): Consumer {
  return combineConsumers(
    bus,
    AUDIT_TOPICS,
    AUDIT_TOPICS.map((topic) =>
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
  );
}
