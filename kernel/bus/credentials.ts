import type { KafkaCredentials } from './kafka';

/**
 * The password scripts/kafka.sh gives a principal of the project's own broker (development, tests, CI) unless
 * KAFKA_PASSWORD_<NAME> says otherwise. Processes never fall back to it: they authenticate as configured.
 */
export const devKafkaPassword = (principal: string) => `${principal}-dev-password-for-loopback-only`;

/**
 * What tooling (tests, benchmarks, `npm run dlt`) authenticates as: KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD
 * when set, else the admin of the project's own broker.
 */
export const toolKafkaCredentials = (env: NodeJS.ProcessEnv = process.env): KafkaCredentials =>
  env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
    ? { username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD }
    : { username: 'admin', password: env.KAFKA_PASSWORD_ADMIN ?? devKafkaPassword('admin') };

/** kafkajs's `sasl` option for these credentials. */
export const scram = (credentials: KafkaCredentials) => ({ mechanism: 'scram-sha-256' as const, ...credentials });
