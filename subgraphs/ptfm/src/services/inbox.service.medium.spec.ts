import { pino } from 'pino';
import { startPtfmDb, wentLive } from '../../../../test/support/ptfm';
import { FanoutService } from './fanout.service';
import { InboxService } from './inbox.service';

/** The inbox against a real PostgreSQL: pages newest first, marking read, and pruning after 30 days. */
describe(InboxService.name, () => {
  let ptfm: Awaited<ReturnType<typeof startPtfmDb>>;
  let inbox: InboxService;
  let fanout: FanoutService;

  beforeAll(async () => {
    ptfm = await startPtfmDb();
    inbox = new InboxService(ptfm.db.prisma);
    fanout = new FanoutService(ptfm.db.prisma, 100, pino({ level: 'silent' }));
  });

  afterAll(() => ptfm?.close());

  /** A go-live of a new channel followed by `userId` alone, fanned out. */
  const notify = async (userId: string) => {
    const channel = await ptfm.channelWithFollowers(0);
    await ptfm.db.pool.query(
      'INSERT INTO follower (channel_id, user_id, followed_at, active, changed_at) VALUES ($1, $2, now(), true, now())',
      [channel.channelId, userId],
    );
    const event = wentLive(channel);
    await fanout.plan(event, 'g');
    while (await fanout.writeNextSlice());
    return event.data.streamId;
  };

  it('should page newest first, mark read up to an id, and prune what is older than 30 days', async () => {
    const user = (await ptfm.channelWithFollowers(1)).followers[0];
    const streams = [await notify(user), await notify(user), await notify(user)];
    const first = await inbox.page(user, { first: 2 });
    expect(first).toMatchObject({ totalCount: 3, unreadCount: 3, pageInfo: { hasNextPage: true } });
    expect(first.nodes.map((n) => n.streamId)).toEqual([streams[2], streams[1]]);
    const second = await inbox.page(user, { first: 2, after: first.pageInfo.endCursor });
    expect(second.nodes.map((n) => n.streamId)).toEqual([streams[0]]);
    expect((await inbox.page(user, { newerThan: second.nodes[0].id })).nodes.map((n) => n.streamId)).toEqual([streams[2], streams[1]]);

    expect(await inbox.markRead(user, first.nodes[1].id)).toEqual({ marked: 2, unreadCount: 1 });
    expect(await inbox.markRead(user)).toEqual({ marked: 1, unreadCount: 0 });

    await ptfm.db.pool.query(`UPDATE announcement SET created_at = now() - interval '31 days' WHERE stream_id = $1`, [streams[0]]);
    expect(await inbox.prune(new Date())).toBe(1);
    expect((await inbox.page(user, {})).nodes.map((n) => n.streamId)).toEqual([streams[2], streams[1]]);
  });
});
