import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createKafkaBus } from '../../kernel/bus/kafka';
import { namespacedBus } from '../../kernel/bus/namespace';
import type { EventBus } from '../../kernel/bus/port';
import { builtPlatformEntry } from '../support/build';
import { childEnv } from '../support/child-env';
import { eventually } from '../support/eventually';
import { testKafkaBrokers, testKafkaEnv } from '../support/kafka';
import { toolKafkaCredentials } from '../../kernel/bus/credentials';
import { startPtfmDb, wentLive } from '../support/ptfm';

const FOLLOWERS = 10_000;
const SLICE = 500;

/**
 * ptfm-notify-wkr killed (SIGKILL) in the middle of a 10,000-follower fan-out, then started again: every follower
 * ends with exactly one notification, and every recipient is announced on exactly one event. The kill lands
 * inside a slice's transaction for sure: the test holds an uncommitted inbox row of one follower of slice 5, so
 * the worker's INSERT of that slice waits on it when it is killed.
 */
describe('ptfm-notify-wkr killed mid fan-out', () => {
  let ptfm: Awaited<ReturnType<typeof startPtfmDb>>;
  let bus: EventBus;
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    ptfm = await startPtfmDb();
    bus = namespacedBus(createKafkaBus({ brokers: testKafkaBrokers(), clientId: 'test-ptfm-crash', sasl: toolKafkaCredentials() }), prefix);
    if (!(await bus.healthy())) throw new Error('no Kafka broker: start one with `bash scripts/kafka.sh start`');
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await bus?.close();
    await ptfm?.close();
  });

  const startWorker = (): { child: ChildProcess; output: () => string } => {
    const child = spawn(process.execPath, [builtPlatformEntry(), 'ptfm-notify-wkr'], {
      env: childEnv({
        DATABASE_URL: ptfm.url,
        ...testKafkaEnv(),
        KAFKA_TOPIC_PREFIX: prefix,
        PTFM_NOTIFY_HEALTH_PORT: '0',
        PTFM_FANOUT_SLICE_SIZE: String(SLICE),
        PTFM_FANOUT_CONCURRENCY: '1',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.on('exit', () => children.delete(child));
    return { child, output: () => output };
  };

  const scalar = async (sql: string, params: unknown[] = []) => Number((await ptfm.db.pool.query(sql, params)).rows[0].n);

  it('should leave exactly one notification per follower', async () => {
    const channel = await ptfm.channelWithFollowers(FOLLOWERS);
    const event = wentLive(channel);
    const { streamId } = event.data;
    const sorted = [...channel.followers].sort();

    const blocker = new Client({ connectionString: ptfm.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`INSERT INTO ptfm.notification (id, user_id, stream_id) VALUES (gen_random_uuid(), $1, $2)`, [
      sorted[5 * SLICE + 100],
      streamId,
    ]);

    const first = startWorker();
    await eventually(
      () => first.output().includes('consumer started'),
      30_000,
      () => `worker start-up:\n${first.output()}`,
    );
    await bus.publish('live.stream.started.v1', [{ key: channel.channelId, value: JSON.stringify(event) }]);
    await eventually(
      async () =>
        (await scalar(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)) > 0,
      30_000,
      () => `the worker never reached slice 5:\n${first.output()}`,
    );
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await exited;
    await blocker.query('ROLLBACK');
    await blocker.end();

    const done = 'SELECT count(*) AS n FROM fanout_job WHERE stream_id = $1 AND done_at IS NOT NULL';
    expect(await scalar(done, [streamId])).toBe(5);
    expect(await scalar('SELECT count(*) AS n FROM notification WHERE stream_id = $1', [streamId])).toBe(5 * SLICE);

    const second = startWorker();
    await eventually(
      async () => (await scalar('SELECT count(*) AS n FROM fanout_job WHERE stream_id = $1 AND done_at IS NULL', [streamId])) === 0,
      60_000,
      () => `the restarted worker did not finish:\n${second.output()}`,
    );
    expect(await scalar(done, [streamId])).toBe(FOLLOWERS / SLICE + 1);
    const { rows } = await ptfm.db.pool.query<{ user_id: string }>('SELECT user_id::text FROM notification WHERE stream_id = $1', [
      streamId,
    ]);
    expect(rows.map((r) => r.user_id).sort()).toEqual(sorted);
    const recipients = (
      await ptfm.db.pool.query<{ r: string }>(
        `SELECT jsonb_array_elements_text(payload->'data'->'recipients') AS r FROM outbox
          WHERE topic = 'ptfm.notification.created.v1' AND payload->'data'->>'streamId' = $1`,
        [streamId],
      )
    ).rows.map((row) => row.r);
    expect(recipients.sort()).toEqual(sorted);
    second.child.kill('SIGTERM');
  }, 120_000);
});
