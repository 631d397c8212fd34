import { z } from 'zod';
import { kafkaBrokers } from '../config';
import type { Logger } from '../log';
import { createKafkaBus } from './kafka';
import { namespacedBus } from './namespace';
import type { EventBus } from './port';

export const kafkaConfigSchema = z.object({
  KAFKA_BROKERS: kafkaBrokers,
  /** Lets several environments share one cluster, e.g. `staging.`; empty in production. */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'only letters, digits, . _ -')
    .default(''),
});

export type KafkaConfig = z.infer<typeof kafkaConfigSchema>;

export function kafkaBusFromConfig(config: KafkaConfig, clientId: string, logger: Logger): EventBus {
  return namespacedBus(createKafkaBus({ brokers: config.KAFKA_BROKERS, clientId, logger }), config.KAFKA_TOPIC_PREFIX);
}
