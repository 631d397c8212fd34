import { randomBytes, randomUUID } from 'node:crypto';
import { makeEvent } from '../../../../kernel/events';
import { createScratchDatabase } from '../../../../test/support/database';
import { identities } from '../../../../test/support/identities';
import { connectLiveDb, type LiveDb } from '../data/db';
import { LocalProvider } from '../providers/local';
import { IngestService } from './ingest.service';
import { KeyCipher } from './key-cipher';

const GROUP = 'spec';

/** The ingest of channels provisioned as production provisions them: from chnl.channel.created.v1. */
describe('IngestService', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: LiveDb;
  let ingest: IngestService;
  const provider = new LocalProvider();
  const created = jest.spyOn(provider, 'createLiveInput');

  beforeAll(async () => {
    database = await createScratchDatabase();
    db = connectLiveDb(database.url, 4);
    ingest = new IngestService(db.prisma, provider, new KeyCipher(randomBytes(32).toString('base64')));
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const channelCreated = (ownerId = randomUUID()) =>
    makeEvent('chnl.channel.created.v1', { channelId: randomUUID(), ownerId, createdAt: new Date().toISOString() });

  it('should create one live input per channel however often its event is delivered', async () => {
    const event = channelCreated();
    created.mockClear();
    expect(await ingest.provision(event, GROUP)).toBe('created');
    expect(await ingest.provision(event, GROUP)).toBe('duplicate');
    expect(await ingest.provision({ ...event, id: randomUUID() }, GROUP)).toBe('duplicate');
    expect(created).toHaveBeenCalledTimes(1);
    expect(await db.prisma.liveInput.count({ where: { channelId: event.data.channelId } })).toBe(1);
  });

  it('should show the ingest to the broadcaster only', async () => {
    const event = channelCreated();
    await ingest.provision(event, GROUP);
    const mine = await ingest.get(identities.session(event.data.ownerId), event.data.channelId);
    expect(mine).toEqual({
      provider: 'local',
      rtmpUrl: expect.any(String),
      srtUrl: null,
      streamKey: expect.stringMatching(/^live_/),
      playbackId: expect.any(String),
    });
    await expect(ingest.get(identities.session(), event.data.channelId)).rejects.toMatchObject({ code: 'LIVE_NOT_BROADCASTER' });
    await expect(ingest.get(identities.anonymous(), event.data.channelId)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(ingest.get(identities.session(event.data.ownerId), randomUUID())).rejects.toMatchObject({ code: 'LIVE_INPUT_NOT_FOUND' });
  });

  it('should refuse the old key at the local ingest as soon as the rotation answers', async () => {
    const event = channelCreated();
    await ingest.provision(event, GROUP);
    const owner = identities.session(event.data.ownerId);
    const before = await ingest.get(owner, event.data.channelId);
    expect(await ingest.authorize(before.streamKey)).toBe(event.data.channelId);

    const after = await ingest.rotate(owner, event.data.channelId);
    expect(after.streamKey).not.toBe(before.streamKey);
    expect(await ingest.authorize(before.streamKey)).toBeNull();
    expect(await ingest.authorize(after.streamKey)).toBe(event.data.channelId);
    await expect(ingest.rotate(identities.session(), event.data.channelId)).rejects.toMatchObject({ code: 'LIVE_NOT_BROADCASTER' });
  });
});
