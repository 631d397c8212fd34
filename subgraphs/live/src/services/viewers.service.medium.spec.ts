import { randomUUID } from 'node:crypto';
import { makeEvent } from '../../../../kernel/events';
import { createScratchDatabase } from '../../../../test/support/database';
import { connectLiveDb, type LiveDb } from '../data/db';
import { ViewersService } from './viewers.service';

/** Viewer counts as several realtime gateway instances report them, applied in and out of order. */
describe('ViewersService', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: LiveDb;
  let clock = new Date();
  let viewers: ViewersService;

  beforeAll(async () => {
    database = await createScratchDatabase();
    db = connectLiveDb(database.url, 6);
    viewers = new ViewersService(db.prisma, () => clock);
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const onAir = async (state = 'live') => {
    const channelId = randomUUID();
    const stream = await db.prisma.stream.create({
      data: { id: randomUUID(), channelId, state, startedAt: clock, ...(state === 'ended' ? { endedAt: clock } : {}) },
    });
    return { channelId, streamId: stream.id };
  };
  const report = (instanceId: string, counts: Record<string, number>, at = clock, ttlSeconds = 15) =>
    makeEvent('live.viewers.counted.v1', {
      instanceId,
      countedAt: at.toISOString(),
      ttlSeconds,
      counts: Object.entries(counts).map(([channelId, n]) => ({ channelId, viewers: n })),
    });
  const countsOf = async (streamId: string) => {
    const { viewerCount, peakViewerCount } = await db.prisma.stream.findUniqueOrThrow({ where: { id: streamId } });
    return [viewerCount, peakViewerCount];
  };

  it("should sum the instances' reports, each replacing only its own, and keep the peak", async () => {
    const a = await onAir();
    const b = await onAir();
    const [one, two] = [`rt-${randomUUID().slice(0, 8)}`, `rt-${randomUUID().slice(0, 8)}`];
    clock = new Date(clock.getTime() + 1000);
    expect(await viewers.applyReport(report(one, { [a.channelId]: 3, [b.channelId]: 1 }))).toBe('applied');
    expect(await viewers.applyReport(report(two, { [a.channelId]: 4 }))).toBe('applied');
    expect(await countsOf(a.streamId)).toEqual([7, 7]);
    expect(await countsOf(b.streamId)).toEqual([1, 1]);

    // Instance one's next report names only a: its viewers of b are gone, instance two's of a stay.
    clock = new Date(clock.getTime() + 1000);
    await viewers.applyReport(report(one, { [a.channelId]: 1 }));
    expect(await countsOf(a.streamId)).toEqual([5, 7]);
    expect(await countsOf(b.streamId)).toEqual([0, 1]);
  });

  it('should ignore a report older than the instance’s last, and apply reports of many instances at once without losing one', async () => {
    const { channelId, streamId } = await onAir();
    const instance = `rt-${randomUUID().slice(0, 8)}`;
    clock = new Date(clock.getTime() + 1000);
    const late = report(instance, { [channelId]: 9 }, new Date(clock.getTime() - 500));
    await viewers.applyReport(report(instance, { [channelId]: 2 }));
    expect(await viewers.applyReport(late)).toBe('stale');
    expect(await countsOf(streamId)).toEqual([2, 2]);

    const others = Array.from({ length: 8 }, (_, i) => report(`rt-concurrent-${i}-${channelId.slice(0, 4)}`, { [channelId]: i + 1 }));
    await Promise.all(others.map((event) => viewers.applyReport(event)));
    expect(await countsOf(streamId)).toEqual([2 + 36, 2 + 36]);
  });

  it('should drop the viewers of an instance whose last report expired, and leave ended streams alone', async () => {
    const { channelId, streamId } = await onAir();
    const ended = await onAir('ended');
    const [dying, alive] = [`rt-dying-${channelId.slice(0, 4)}`, `rt-alive-${channelId.slice(0, 4)}`];
    clock = new Date(clock.getTime() + 1000);
    await viewers.applyReport(report(dying, { [channelId]: 5, [ended.channelId]: 5 }, clock, 10));
    await viewers.applyReport(report(alive, { [channelId]: 2 }, clock, 10));
    expect(await countsOf(streamId)).toEqual([7, 7]);
    expect(await countsOf(ended.streamId)).toEqual([0, 0]);

    clock = new Date(clock.getTime() + 11_000);
    await viewers.applyReport(report(alive, { [channelId]: 2 }, clock, 10));
    expect(await countsOf(streamId)).toEqual([2, 7]);
    expect(await db.prisma.viewerReport.count({ where: { instanceId: dying } })).toBe(0);
  });
});
