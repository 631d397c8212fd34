import { randomUUID } from 'node:crypto';
import { DomainError } from '../../../../kernel/errors';
import { type EventOf, makeEvent } from '../../../../kernel/events';
import { startPtfmDb } from '../../../../test/support/ptfm';
import { SearchService } from './search.service';

const GROUP = 'ptfm-search-wkr.test';

/** Search's read model and its queries against a real PostgreSQL (pg_trgm included), fed the events it consumes. */
describe(SearchService.name, () => {
  let ptfm: Awaited<ReturnType<typeof startPtfmDb>>;
  let search: SearchService;
  const at = (minutes: number) => new Date(Date.UTC(2026, 10, 27, 12, minutes)).toISOString();

  beforeAll(async () => {
    ptfm = await startPtfmDb();
    search = new SearchService(ptfm.db.prisma);
  });

  afterAll(() => ptfm?.close());

  /** A user with a channel, both in the read model; returns their ids. */
  async function streamer(login: string, displayName: string, title: string, tags: string[] = []) {
    const userId = randomUUID();
    const channelId = randomUUID();
    await search.accountCreated(makeEvent('user.account.created.v1', { userId, login, displayName, createdAt: at(0) }), GROUP);
    await search.channelCreated(makeEvent('chnl.channel.created.v1', { channelId, ownerId: userId, createdAt: at(0), title }), GROUP);
    if (tags.length) {
      await search.channelUpdated(
        makeEvent('chnl.channel.updated.v1', { channelId, ownerId: userId, changes: { tags }, updatedAt: at(1) }),
        GROUP,
      );
    }
    return { userId, channelId };
  }

  const suspend = (userId: string, minutes: number) =>
    search.accountStatusChanged(makeEvent('user.account.suspended.v1', { userId, suspendedAt: at(minutes) }), GROUP);
  const unsuspend = (userId: string, minutes: number) =>
    search.accountStatusChanged(makeEvent('user.account.unsuspended.v1', { userId, unsuspendedAt: at(minutes) }), GROUP);
  const started = (channelId: string, ownerId: string, minutes: number, title: string): EventOf<'live.stream.started.v1'> =>
    makeEvent('live.stream.started.v1', { streamId: randomUUID(), channelId, ownerId, title, category: 'Chess', startedAt: at(minutes) });

  it('should rank an exact login first, find a misspelt one, and search titles and tags', async () => {
    const exact = await streamer('zorblax', 'Zorblax', 'speedruns every night');
    const near = await streamer('zorblaxfan', 'Zorblax Fan', 'watching zorblax');
    await streamer('quietperson', 'Quiet', 'knitting and tea', ['cozy', 'crafts']);

    const byLogin = await search.channels('zorblax', {});
    expect(byLogin.nodes.map((c) => c.id)).toEqual([exact.channelId, near.channelId]);
    expect(byLogin.nodes[0]).toMatchObject({ login: 'zorblax', displayName: 'Zorblax', title: 'speedruns every night', live: false });

    expect((await search.channels('zroblax', {})).nodes.map((c) => c.id)).toContain(exact.channelId);
    expect((await search.channels('Knitting', {})).nodes.map((c) => c.login)).toEqual(['quietperson']);
    expect((await search.channels('cozy', {})).nodes[0]).toMatchObject({ login: 'quietperson', tags: ['cozy', 'crafts'] });
    expect((await search.users('zorblx', {})).nodes.map((u) => u.id)).toContain(exact.userId);
    expect((await search.channels('nothing-like-this-anywhere', {})).nodes).toEqual([]);
  });

  it('should put live channels first and keep only them when asked, whatever order started and ended arrive in', async () => {
    const offline = await streamer('livetestaa', 'Livetest A', 'live test');
    const live = await streamer('livetestbb', 'Livetest B', 'live test');
    const ended = makeEvent('live.stream.ended.v1', {
      streamId: randomUUID(),
      channelId: offline.channelId,
      startedAt: at(10),
      endedAt: at(20),
    });
    // The end arrives before its start: the start, older, must not make the channel live.
    await search.streamEnded(ended, GROUP);
    await search.streamStarted(started(offline.channelId, offline.userId, 10, 'live test'), GROUP);
    await search.streamStarted(started(live.channelId, live.userId, 30, 'live test now'), GROUP);

    const all = await search.channels('livetest', {});
    expect(all.nodes.map((c) => [c.id, c.live])).toEqual([
      [live.channelId, true],
      [offline.channelId, false],
    ]);
    expect((await search.channels('livetest', { liveOnly: true })).nodes.map((c) => c.id)).toEqual([live.channelId]);
    expect(all.nodes[0]?.title).toBe('live test now');
  });

  it('should order live channels by current viewers summed over gateway instances, then relevance, and page them stably', async () => {
    const word = `jhqwv${randomUUID()
      .slice(0, 6)
      .replace(/[^a-z]/g, 'x')}`;
    const few = await streamer(`${word}few`, 'Few', `${word} stream`);
    const many = await streamer(`${word}many`, 'Many', `${word} stream`);
    const none = await streamer(`${word}none`, 'None', `${word} stream`);
    const exact = await streamer(word, 'Exact', `${word} stream`);
    const offline = await streamer(`${word}off`, 'Off', `${word} stream`);
    for (const [i, c] of [few, many, none, exact].entries())
      await search.streamStarted(started(c.channelId, c.userId, 30 + i, `${word} live`), GROUP);
    const report = (instanceId: string, countedAt: Date, counts: [string, number][]) =>
      search.viewersCounted(
        makeEvent('live.viewers.counted.v1', {
          instanceId,
          countedAt: countedAt.toISOString(),
          ttlSeconds: 60,
          counts: counts.map(([channelId, viewers]) => ({ channelId, viewers })),
        }),
      );
    const now = Date.now();
    // Offline viewers count for nothing; `few` gets viewers on two instances, `many` more on one.
    await report(`${word}-a`, new Date(now), [
      [few.channelId, 3],
      [many.channelId, 2],
      [offline.channelId, 100],
    ]);
    await report(`${word}-b`, new Date(now), [[few.channelId, 4]]);
    const ids = async () => (await search.channels(word, {})).nodes.map((c) => c.id);
    // few 7, many 2; the exact login outranks `none` among the live channels without viewers.
    expect(await ids()).toEqual([few.channelId, many.channelId, exact.channelId, none.channelId, offline.channelId]);

    // A newer report replaces the instance's last one (a channel it no longer names loses its viewers there); an
    // older one changes nothing, and an expired report counts no more.
    expect(await report(`${word}-a`, new Date(now + 1_000), [[many.channelId, 9]])).toBe('applied');
    expect(await report(`${word}-a`, new Date(now - 1_000), [[few.channelId, 50]])).toBe('stale');
    expect(await ids()).toEqual([many.channelId, few.channelId, exact.channelId, none.channelId, offline.channelId]);
    await report(`${word}-b`, new Date(now + 1_000), []);
    await report(`${word}-c`, new Date(now - 120_000), [[none.channelId, 1_000]]);
    const withoutViewers = await ids();
    expect(withoutViewers.slice(0, 2)).toEqual([many.channelId, exact.channelId]);
    expect(new Set(withoutViewers.slice(2, 4))).toEqual(new Set([few.channelId, none.channelId]));
    expect(withoutViewers[4]).toBe(offline.channelId);

    // Page by page, every channel once in the same order as one page.
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page = await search.channels(word, { first: 2, after });
      seen.push(...page.nodes.map((c) => c.id));
      after = page.pageInfo.endCursor;
    } while (after);
    expect(seen).toEqual(await ids());
  });

  it('should hide a suspended account and its channel until reinstated, the newest status winning, each event once', async () => {
    const { userId, channelId } = await streamer('suspendme', 'Suspend Me', 'about to go');
    const suspension = makeEvent('user.account.suspended.v1', { userId, suspendedAt: at(5) });
    expect(await search.accountStatusChanged(suspension, GROUP)).toBe('applied');
    expect(await search.accountStatusChanged(suspension, GROUP)).toBe('duplicate');
    expect((await search.channels('suspendme', {})).nodes).toEqual([]);
    expect((await search.users('suspendme', {})).nodes).toEqual([]);

    await unsuspend(userId, 3);
    expect((await search.channels('suspendme', {})).nodes).toEqual([]);
    await unsuspend(userId, 6);
    expect((await search.channels('suspendme', {})).nodes.map((c) => c.id)).toEqual([channelId]);

    // A suspension that arrives before the account: its creation later does not make it visible.
    const early = randomUUID();
    await suspend(early, 1);
    await search.accountCreated(
      makeEvent('user.account.created.v1', { userId: early, login: 'earlybird', displayName: 'Early', createdAt: at(0) }),
      GROUP,
    );
    expect((await search.users('earlybird', {})).nodes).toEqual([]);
  });

  it('should keep the newest title whatever order the channel events arrive in', async () => {
    const { userId, channelId } = await streamer('orderly', 'Orderly', 'first title');
    await search.channelUpdated(
      makeEvent('chnl.channel.updated.v1', { channelId, ownerId: userId, changes: { title: 'newest title' }, updatedAt: at(9) }),
      GROUP,
    );
    await search.channelUpdated(
      makeEvent('chnl.channel.updated.v1', { channelId, ownerId: userId, changes: { title: 'stale title' }, updatedAt: at(8) }),
      GROUP,
    );
    expect((await search.channels('orderly', {})).nodes[0]?.title).toBe('newest title');
  });

  it('should page with cursors over every match once, and refuse a forged cursor or an empty query', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await streamer(`pagedname${i}`, `Paged ${i}`, 'paged results')).channelId);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await search.channels('pagedname', { first: 2, after });
      expect(page.totalCount).toBe(5);
      seen.push(...page.nodes.map((c) => c.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? undefined;
    }
    expect(seen.sort()).toEqual([...ids].sort());

    await expect(search.channels('pagedname', { after: 'bm90IGEgY3Vyc29y' })).rejects.toThrow(DomainError);
    await expect(search.channels('   ', {})).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(search.users('nul\u0000byte', {})).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('should find categories of the catalogue by name, misspelt too', async () => {
    const id = randomUUID();
    await ptfm.db.pool.query(
      `INSERT INTO category (id, name, slug, box_art_url, updated_at) VALUES ($1, 'Retro Platformers', $2, 'https://images.example/r.jpg', now())`,
      [id, `retro-platformers-${id.slice(0, 8)}`],
    );
    expect((await search.categories('platformers', {})).nodes.map((c) => c.id)).toEqual([id]);
    expect((await search.categories('retro platfromers', {})).nodes.map((c) => c.id)).toContain(id);
  });
});
