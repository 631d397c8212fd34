import { z } from 'zod';
import { kafkaBrokers, secret } from '../config';
import type { Logger } from '../log';
import { createKafkaBus, type KafkaCredentials } from './kafka';
import { namespacedBus } from './namespace';
import type { EventBus } from './port';

export const kafkaConfigSchema = z
  .object({
    KAFKA_BROKERS: kafkaBrokers,
    /** Lets several environments share one cluster, e.g. `staging.`; empty in production. */
    KAFKA_TOPIC_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'only letters, digits, . _ -')
      .default(''),
    /**
     * The principal the process authenticates as (SASL/SCRAM-SHA-256), whose ACLs say which topics it may write:
     * its domain's (scripts/kafka/principals.json). Unset for a broker without authentication.
     */
    KAFKA_SASL_USERNAME: z.string().min(1).optional(),
    KAFKA_SASL_PASSWORD: secret('KAFKA_SASL_PASSWORD').optional(),
  })
  .refine((c) => (c.KAFKA_SASL_USERNAME === undefined) === (c.KAFKA_SASL_PASSWORD === undefined), {
    message: 'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together',
    path: ['KAFKA_SASL_PASSWORD'],
  });

export type KafkaConfig = z.infer<typeof kafkaConfigSchema>;

/** The credentials of the configured principal, if one is. */
export const kafkaCredentials = (config: KafkaConfig): KafkaCredentials | undefined =>
  config.KAFKA_SASL_USERNAME && config.KAFKA_SASL_PASSWORD
    ? { username: config.KAFKA_SASL_USERNAME, password: config.KAFKA_SASL_PASSWORD }
    : undefined;

export function kafkaBusFromConfig(config: KafkaConfig, clientId: string, logger: Logger): EventBus {
  return namespacedBus(
    createKafkaBus({ brokers: config.KAFKA_BROKERS, clientId, logger, sasl: kafkaCredentials(config) }),
    config.KAFKA_TOPIC_PREFIX,
  );
}
