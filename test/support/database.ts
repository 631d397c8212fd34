import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export const testDatabaseUrl = () => process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/platform_test';

/**
 * A database of its own for one test file, copied from the migrated test database (a template copy takes
 * milliseconds), so that platforms started by different files never share an outbox.
 */
export async function createScratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const template = new URL(testDatabaseUrl());
  const name = `${template.pathname.slice(1)}_${randomBytes(4).toString('hex')}`;
  await onServer(template, `CREATE DATABASE "${name}" TEMPLATE "${template.pathname.slice(1)}"`);
  return {
    url: Object.assign(new URL(template), { pathname: `/${name}` }).toString(),
    drop: () => onServer(template, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** One statement in the maintenance database; the connection is closed whether it succeeds or not, so a failed
 * statement leaves nothing that would keep jest from exiting. */
async function onServer(template: URL, sql: string): Promise<void> {
  const client = new Client({ connectionString: Object.assign(new URL(template), { pathname: '/postgres' }).toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
