import { randomUUID } from 'node:crypto';
import { makeEvent } from '../../kernel/events';
import { connectPtfmDb, type PtfmDb } from '../../subgraphs/ptfm/src/data/db';
import { createScratchDatabase } from './database';

/** The platform domain on a scratch database of its own, with helpers to seed what its projections would hold. */
export async function startPtfmDb(): Promise<{
  db: PtfmDb;
  url: string;
  /** `count` active followers of a new channel; returns the channel, its owner and the followers' ids. */
  channelWithFollowers(count: number): Promise<{ channelId: string; ownerId: string; followers: string[] }>;
  close(): Promise<void>;
}> {
  const scratch = await createScratchDatabase();
  const db = connectPtfmDb(scratch.url, 8);
  return {
    db,
    url: scratch.url,
    channelWithFollowers: async (count) => {
      const channelId = randomUUID();
      const ownerId = randomUUID();
      await db.pool.query(`INSERT INTO account (user_id, login, display_name) VALUES ($1, $2, $3)`, [
        ownerId,
        `own_${ownerId.slice(0, 8)}`,
        `Owner ${ownerId.slice(0, 4)}`,
      ]);
      const { rows } = await db.pool.query<{ user_id: string }>(
        `INSERT INTO follower (channel_id, user_id, followed_at, active, changed_at)
         SELECT $1::uuid, gen_random_uuid(), now(), true, now() FROM generate_series(1, $2::int)
         RETURNING user_id::text`,
        [channelId, count],
      );
      return { channelId, ownerId, followers: rows.map((r) => r.user_id) };
    },
    close: async () => {
      await db.close();
      await scratch.drop();
    },
  };
}

/** A live.stream.started.v1 of the channel, as the live domain publishes it. */
export const wentLive = (channel: { channelId: string; ownerId: string }, streamId = randomUUID()) =>
  makeEvent('live.stream.started.v1', {
    streamId,
    channelId: channel.channelId,
    ownerId: channel.ownerId,
    title: 'Speedrun',
    category: 'Games',
    thumbnailUrl: `https://image.example/${streamId}/thumbnail.jpg`,
    startedAt: new Date().toISOString(),
  });
