import { randomUUID } from 'node:crypto';
import { createScratchDatabase } from '../../../../test/support/database';
import { connectLiveDb, type LiveDb } from '../data/db';
import { StreamsService } from './streams.service';

/** The drop check: streams of a provider that reports no end to a drop, ended once the reconnect window passed. */
describe('StreamsService.endExpiredDrops', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: LiveDb;
  let streams: StreamsService;
  const now = new Date('2026-11-28T03:00:00.000Z');
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);

  beforeAll(async () => {
    database = await createScratchDatabase();
    db = connectLiveDb(database.url, 4);
    streams = new StreamsService(db.prisma, { reconnectWindowSeconds: 60 });
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  /** A channel of `provider` whose stream, live since 10 minutes, dropped `droppedSecondsAgo` ago. */
  const dropped = async (provider: string, droppedSecondsAgo: number, lastEventSecondsAgo = droppedSecondsAgo) => {
    const channelId = randomUUID();
    await db.prisma.channelInfo.create({ data: { channelId, ownerId: randomUUID(), changedAt: ago(900) } });
    await db.prisma.liveInput.create({
      data: {
        channelId,
        provider,
        providerInputId: randomUUID(),
        streamKeyCipher: 'cipher',
        streamKeyHash: randomUUID(),
        playbackId: 'pb',
        rtmpUrl: 'rtmp://127.0.0.1/live',
        lastEventAt: ago(lastEventSecondsAgo),
      },
    });
    const stream = await db.prisma.stream.create({
      data: { id: randomUUID(), channelId, state: 'reconnecting', startedAt: ago(600), disconnectedAt: ago(droppedSecondsAgo) },
    });
    return { channelId, streamId: stream.id };
  };
  const stateOf = async (streamId: string) => {
    const { state, endedAt } = await db.prisma.stream.findUniqueOrThrow({ where: { id: streamId } });
    return { state, endedAt };
  };
  const endedEvents = async (channelId: string) =>
    (await db.prisma.outboxEvent.findMany({ where: { key: channelId, topic: 'live.stream.ended.v1' } })).map(
      (row) => (row.payload as { data: { endedAt: string } }).data.endedAt,
    );

  it('should end a Livepeer stream dropped longer than the window ago, when it dropped, announced once', async () => {
    const expired = await dropped('livepeer', 61);
    const recent = await dropped('livepeer', 59);
    expect(await streams.endExpiredDrops(now)).toBe(1);
    expect(await stateOf(expired.streamId)).toEqual({ state: 'ended', endedAt: ago(61) });
    expect(await endedEvents(expired.channelId)).toEqual([ago(61).toISOString()]);
    expect(await stateOf(recent.streamId)).toEqual({ state: 'reconnecting', endedAt: null });
    expect(await streams.endExpiredDrops(now)).toBe(0);
    expect(await endedEvents(expired.channelId)).toHaveLength(1);
  });

  it('should leave a Mux stream, whose provider reports the end itself, and one the provider spoke of since the drop', async () => {
    const mux = await dropped('mux', 600);
    const heardSince = await dropped('livepeer', 120, 30);
    expect(await streams.endExpiredDrops(now)).toBe(0);
    expect(await stateOf(mux.streamId)).toEqual({ state: 'reconnecting', endedAt: null });
    expect(await stateOf(heardSince.streamId)).toEqual({ state: 'reconnecting', endedAt: null });
  });
});
