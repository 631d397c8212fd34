import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { builtPlatformEntry } from '../../../../test/support/build';
import { childEnv } from '../../../../test/support/child-env';
import { createScratchDatabase } from '../../../../test/support/database';
import { type ChatDb, connectChatDb } from '../data/db';

const DAY = 86_400_000;

/** chat-prune-rnr run by hand (`--once`) as an operator would, against a real PostgreSQL. */
describe('chat-prune-rnr', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: ChatDb;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    db = connectChatDb(scratch.url, 2);
  });

  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

  const outboxRow = async (createdDaysAgo: number, published: boolean) => {
    const id = randomUUID();
    await db.pool.query(`INSERT INTO outbox (id, topic, key, payload, created_at, published_at) VALUES ($1, 't', 'k', '{}', $2, $3)`, [
      id,
      daysAgo(createdDaysAgo),
      published ? daysAgo(createdDaysAgo) : null,
    ]);
    return id;
  };

  it('should prune, in one pass that exits 0, what is past the window and retention, and nothing younger', async () => {
    const oldPublished = await outboxRow(8, true);
    const oldUnpublished = await outboxRow(8, false);
    const youngPublished = await outboxRow(6, true);
    await db.pool.query(`INSERT INTO processed_event (consumer_group, event_id, processed_at) VALUES ('g', $1, $2), ('g', $3, $4)`, [
      randomUUID(),
      daysAgo(8),
      randomUUID(),
      daysAgo(1),
    ]);
    const channelId = randomUUID();
    await db.pool.query(
      `INSERT INTO ban (channel_id, user_id, moderator_id, expires_at) VALUES ($1, $2, $2, $3), ($1, $4, $4, $5), ($1, $6, $6, NULL)`,
      [channelId, randomUUID(), daysAgo(1), randomUUID(), new Date(Date.now() + DAY), randomUUID()],
    );
    await db.pool.query(
      `INSERT INTO message (id, channel_id, sender_id, text, fragments, sent_at) VALUES ($1, $2, $2, 'old', '[]', $3), ($4, $2, $2, 'new', '[]', now())`,
      [randomUUID(), channelId, daysAgo(91), randomUUID()],
    );

    const { stdout } = await promisify(execFile)('node', [builtPlatformEntry(), 'chat-prune-rnr', '--once'], {
      env: childEnv({ DATABASE_URL: scratch.url }),
    });

    expect(stdout).toContain('"outbox":1');
    const { rows: outbox } = await db.pool.query<{ id: string }>('SELECT id FROM outbox');
    expect(outbox.map((row) => row.id).sort()).toEqual([oldUnpublished, youngPublished].sort());
    expect(outbox.map((row) => row.id)).not.toContain(oldPublished);
    const counts = await db.pool.query<{ processed: number; bans: number; messages: number }>(
      `SELECT (SELECT count(*)::int FROM processed_event) AS processed, (SELECT count(*)::int FROM ban) AS bans,
              (SELECT count(*)::int FROM message) AS messages`,
    );
    expect(counts.rows[0]).toEqual({ processed: 1, bans: 2, messages: 1 });
  });
});
