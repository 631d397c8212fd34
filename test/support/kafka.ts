import { toolKafkaCredentials } from '../../kernel/bus/credentials';
import { createKafkaBus } from '../../kernel/bus/kafka';
import { randomBytes } from 'node:crypto';
import { namespacedBus } from '../../kernel/bus/namespace';
import type { EventBus } from '../../kernel/bus/port';

export const testKafkaBrokers = () => (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** What a process a test starts needs to reach the test broker: its address and the tests' principal. */
export const testKafkaEnv = () => {
  const { username, password } = toolKafkaCredentials();
  return { KAFKA_BROKERS: testKafkaBrokers().join(','), KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password };
};

/**
 * A Kafka bus for a test, refusing to go on without a broker: Kafka tests fail, never skip, when it is missing.
 * Its topics and groups carry a prefix of their own, so test files running at once never consume each other's
 * events.
 */
export async function kafkaBusForTests(clientId: string): Promise<EventBus> {
  const bus = createKafkaBus({ brokers: testKafkaBrokers(), clientId: `test-${clientId}`, sasl: toolKafkaCredentials() });
  if (!(await bus.healthy())) {
    await bus.close();
    throw new Error(`no Kafka broker at ${testKafkaBrokers().join(',')}: start one with \`bash scripts/kafka.sh start\``);
  }
  return namespacedBus(bus, `t${randomBytes(4).toString('hex')}.`);
}
