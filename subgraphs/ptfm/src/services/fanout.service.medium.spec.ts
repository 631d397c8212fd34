import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { startPtfmDb, wentLive } from '../../../../test/support/ptfm';
import { FanoutService } from './fanout.service';
import { notificationId } from '../../../../kernel/notification-id';

type Ptfm = Awaited<ReturnType<typeof startPtfmDb>>;

const GROUP = 'ptfm-notify-wkr.live.stream.started.v1';

/** Writes slices until none is pending, with `lanes` writers at once; returns the slices written. */
async function drain(fanout: FanoutService, lanes = 1): Promise<number> {
  let written = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (await fanout.writeNextSlice()) written += 1;
    }),
  );
  return written;
}

/** The go-live fan-out against a real PostgreSQL: slices, filters, and exactly one row per follower and stream. */
describe(FanoutService.name, () => {
  let ptfm: Ptfm;
  let fanout: FanoutService;

  beforeAll(async () => {
    ptfm = await startPtfmDb();
    fanout = new FanoutService(ptfm.db.prisma, 100, pino({ level: 'silent' }));
  });

  afterAll(() => ptfm?.close());

  const inbox = async (streamId: string) =>
    (
      await ptfm.db.pool.query<{ user_id: string; id: string }>('SELECT user_id::text, id::text FROM notification WHERE stream_id = $1', [
        streamId,
      ])
    ).rows;
  const events = async (streamId: string) =>
    (
      await ptfm.db.pool.query<{ payload: { data: { recipients: string[]; broadcaster: { login: string }; thumbnailUrl?: string } } }>(
        `SELECT payload FROM outbox WHERE topic = 'ptfm.notification.created.v1' AND payload->'data'->>'streamId' = $1`,
        [streamId],
      )
    ).rows.map((r) => r.payload.data);

  it('should write one notification per follower in slices shared by several writers, and one event per slice', async () => {
    const channel = await ptfm.channelWithFollowers(1_050);
    const event = wentLive(channel);
    expect(await fanout.plan(event, GROUP)).toEqual({ slices: 11 });
    expect(await drain(fanout, 3)).toBe(11);

    const rows = await inbox(event.data.streamId);
    expect(rows.map((r) => r.user_id).sort()).toEqual([...channel.followers].sort());
    for (const row of rows) expect(row.id).toBe(notificationId(event.data.streamId, row.user_id));
    const published = await events(event.data.streamId);
    expect(published).toHaveLength(11);
    expect(published.flatMap((e) => e.recipients).sort()).toEqual([...channel.followers].sort());
    expect(published[0].broadcaster.login).toBe(`own_${channel.ownerId.slice(0, 8)}`);
    expect(published[0].thumbnailUrl).toBe(event.data.thumbnailUrl);
  });

  it('should change nothing when the go-live comes again or a slice is written twice', async () => {
    const channel = await ptfm.channelWithFollowers(250);
    const event = wentLive(channel);
    await fanout.plan(event, GROUP);
    expect(await fanout.plan(event, GROUP)).toBe('duplicate');
    // The live domain publishing the same stream's start as a new event: the announcement is already there.
    expect(await fanout.plan({ ...event, id: wentLive(channel).id }, GROUP)).toEqual({ slices: 0 });
    await drain(fanout);
    // A slice written again (as after a crash between its commit and its worker noticing): nothing new.
    await ptfm.db.pool.query('UPDATE fanout_job SET done_at = NULL WHERE stream_id = $1', [event.data.streamId]);
    await drain(fanout);
    expect(await inbox(event.data.streamId)).toHaveLength(250);
    expect((await events(event.data.streamId)).flatMap((e) => e.recipients)).toHaveLength(250);
  });

  it('should leave out muted channels, users with go-live off, unfollowers and the broadcaster', async () => {
    const channel = await ptfm.channelWithFollowers(10);
    const [muting, off, gone] = channel.followers;
    await ptfm.db.pool.query('INSERT INTO channel_mute (user_id, channel_id) VALUES ($1, $2)', [muting, channel.channelId]);
    await ptfm.db.pool.query('INSERT INTO preference (user_id, go_live, updated_at) VALUES ($1, false, now())', [off]);
    await ptfm.db.pool.query('UPDATE follower SET active = false WHERE user_id = $1', [gone]);
    await ptfm.db.pool.query(
      'INSERT INTO follower (channel_id, user_id, followed_at, active, changed_at) VALUES ($1, $2, now(), true, now())',
      [channel.channelId, channel.ownerId],
    );
    const event = wentLive(channel);
    await fanout.plan(event, GROUP);
    await drain(fanout);
    expect((await inbox(event.data.streamId)).map((r) => r.user_id).sort()).toEqual(channel.followers.slice(3).sort());
  });

  it('should write the followers connected at go-live first, in a slice of their own, and each of them once', async () => {
    const channel = await ptfm.channelWithFollowers(450);
    const connected = [channel.followers[7], channel.followers[222], channel.followers[449]];
    const first = new FanoutService(ptfm.db.prisma, 100, pino({ level: 'silent' }), async () => [...connected, randomUUID()]);
    const event = wentLive(channel);
    expect(await first.plan(event, GROUP)).toEqual({ slices: 6 });

    expect(await first.writeNextSlice()).toEqual({ streamId: event.data.streamId, slice: 0, written: 3 });
    expect((await events(event.data.streamId)).map((e) => e.recipients.sort())).toEqual([connected.sort()]);
    await drain(first, 2);
    expect(await inbox(event.data.streamId)).toHaveLength(450);
    expect((await events(event.data.streamId)).flatMap((e) => e.recipients)).toHaveLength(450);
  });

  it("should hold the id ranges back while the connected followers' slice is being written", async () => {
    const channel = await ptfm.channelWithFollowers(250);
    const first = new FanoutService(ptfm.db.prisma, 100, pino({ level: 'silent' }), async () => [channel.followers[3]]);
    const event = wentLive(channel);
    expect(await first.plan(event, GROUP)).toEqual({ slices: 4 });
    // Another lane holds slice 0, mid-write.
    const lane = await ptfm.db.pool.connect();
    try {
      await lane.query('BEGIN');
      await lane.query('SELECT 1 FROM fanout_job WHERE stream_id = $1 AND slice = 0 FOR UPDATE', [event.data.streamId]);
      expect(await first.writeNextSlice()).toBeNull();
      await lane.query('ROLLBACK');
    } finally {
      lane.release();
    }
    // That lane died: its slice is written first, then the ranges.
    expect(await first.writeNextSlice()).toEqual({ streamId: event.data.streamId, slice: 0, written: 1 });
    expect(await drain(first, 2)).toBe(3);
    expect(await inbox(event.data.streamId)).toHaveLength(250);
  });

  it('should plan the slices in their turn when presence cannot be read', async () => {
    const channel = await ptfm.channelWithFollowers(150);
    const blind = new FanoutService(ptfm.db.prisma, 100, pino({ level: 'silent' }), () => Promise.reject(new Error('Redis down')));
    const event = wentLive(channel);
    expect(await blind.plan(event, GROUP)).toEqual({ slices: 2 });
    expect(await drain(blind)).toBe(2);
    expect(await inbox(event.data.streamId)).toHaveLength(150);
  });

  it('should plan one empty slice for a channel nobody follows, and publish nothing', async () => {
    const channel = await ptfm.channelWithFollowers(0);
    const event = wentLive(channel);
    expect(await fanout.plan(event, GROUP)).toEqual({ slices: 1 });
    expect(await drain(fanout)).toBe(1);
    expect(await events(event.data.streamId)).toEqual([]);
  });
});
