import { Kafka, logLevel } from 'kafkajs';
import { describeBusContract } from '../../kernel/bus/bus.contract';
import { createKafkaBus } from '../../kernel/bus/kafka';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const unreachable = `Kafka is not reachable at ${brokers.join(',')}: run \`bash scripts/kafka.sh start\` (or set KAFKA_BROKERS)`;
let reachable = false;

// Fails, not skips, when the broker is down: CI must never pass without having run these against Kafka.
beforeAll(async () => {
  const admin = new Kafka({
    clientId: 'bus-contract-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 1 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    reachable = true;
  } catch (error) {
    throw new Error(`${unreachable} (${(error as Error).message})`);
  } finally {
    await admin.disconnect();
  }
});

describeBusContract('kafka', () => {
  if (!reachable) {
    throw new Error(unreachable);
  }
  return createKafkaBus({ brokers, clientId: 'bus-contract' });
});
