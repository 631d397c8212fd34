import { recreateDatabase } from '../kernel/db/admin';
import { migrateDeploy } from '../scripts/migrate';
import { ensureBuilt } from './support/build';
import { toolKafkaCredentials } from '../kernel/bus/credentials';

/**
 * Once per jest run: an empty test database with every domain's migrations applied, so the tests run against the
 * schema the committed migrations produce. Test files that write copy it (CREATE DATABASE ... TEMPLATE), which
 * needs it free of sessions: nothing here keeps a connection open. Jest starts its workers after this, so they
 * inherit `TEST_DATABASE_URL`. The tests that start processes run `dist/`: it is rebuilt here if a source changed
 * since, once, before any worker could read it half-written. Kafka credentials are passed down the same way.
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/platform_test';
  await recreateDatabase(url);
  await migrateDeploy(url);
  process.env.TEST_DATABASE_URL = url;
  // The processes and platforms the tests start authenticate to the test broker as the tests do.
  const kafka = toolKafkaCredentials();
  process.env.KAFKA_SASL_USERNAME = kafka.username;
  process.env.KAFKA_SASL_PASSWORD = kafka.password;
  ensureBuilt();
}
