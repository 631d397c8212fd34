import { createHmac } from 'node:crypto';
import { fakeLivepeer } from '../../../../test/support/fake-livepeer';
import { LivepeerApiError, LivepeerProvider, LivepeerWebhooks, signLivepeerWebhook } from './livepeer';
import { ClipSourceUnavailable, WebhookRejected } from './port';

const SECRET = 'livepeer-webhook-secret-0123456789';
const OTHER_SECRET = 'livepeer-webhook-secret-rotated-abc';
const NOW = new Date('2026-11-27T12:00:00.000Z');

const event = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'c3d1a1f4-0000-4000-8000-000000000001',
    webhookId: 'wh-1',
    createdAt: NOW.getTime() - 1000,
    timestamp: NOW.getTime() - 2000,
    event: 'stream.started',
    stream: { id: 'st-123', streamKey: 'secret-key', isActive: true },
    ...overrides,
  });

function rejection(act: () => unknown): WebhookRejected['reason'] | 'accepted' {
  try {
    act();
    return 'accepted';
  } catch (error) {
    if (error instanceof WebhookRejected) return error.reason;
    throw error;
  }
}

describe('Livepeer webhook signatures', () => {
  const webhooks = new LivepeerWebhooks([SECRET], 300);
  const body = event();
  const signedAt = NOW.getTime() - 2000;
  const verify = (raw: string | Buffer, header: string | undefined, secrets = webhooks) =>
    rejection(() => secrets.verify(Buffer.from(raw), header, NOW));

  it('should accept a body signed as Livepeer signs it: the body alone, t its timestamp in milliseconds', () => {
    const header = `t=${signedAt},v1=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    expect(header).toBe(signLivepeerWebhook(SECRET, body, signedAt));
    expect(verify(body, header)).toBe('accepted');
  });

  it('should accept any of the configured secrets, and any of several v1 signatures', () => {
    const rotating = new LivepeerWebhooks([OTHER_SECRET, SECRET]);
    expect(verify(body, signLivepeerWebhook(OTHER_SECRET, body, signedAt), rotating)).toBe('accepted');
    const [t, v1] = signLivepeerWebhook(SECRET, body, signedAt).split(',');
    expect(verify(body, `${t},v1=${'0'.repeat(64)},${v1}`)).toBe('accepted');
  });

  it.each([
    ['no header', undefined],
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no v1', `t=${signedAt}`],
    ['a v1 that is not hex SHA-256', `t=${signedAt},v1=abc`],
    ['a signature made with another secret', signLivepeerWebhook('not-the-secret-at-all', event(), signedAt)],
    ['a header timestamp other than the body’s', signLivepeerWebhook(SECRET, event(), signedAt + 1)],
  ])('should refuse %s', (_, header) => {
    expect(verify(body, header)).toBe('signature');
  });

  it('should refuse a body changed by one byte', () => {
    const header = signLivepeerWebhook(SECRET, body, signedAt);
    expect(verify(body.replace('st-123', 'st-124'), header)).toBe('signature');
  });

  it('should refuse a body signed 301 seconds ago or ahead, and accept one 300 seconds old', () => {
    const at = (ms: number) => event({ timestamp: ms });
    const signed = (ms: number) => verify(at(ms), signLivepeerWebhook(SECRET, at(ms), ms));
    expect(signed(NOW.getTime() - 301_000)).toBe('stale');
    expect(signed(NOW.getTime() + 301_000)).toBe('stale');
    expect(signed(NOW.getTime() - 300_000)).toBe('accepted');
  });

  it('should refuse everything when no secret is configured', () => {
    expect(verify(body, signLivepeerWebhook(SECRET, body, signedAt), new LivepeerWebhooks([]))).toBe('signature');
  });
});

describe('Livepeer webhook events', () => {
  const webhooks = new LivepeerWebhooks([SECRET]);
  const parse = (raw: string) => rejection(() => webhooks.parse(Buffer.from(raw)));

  it('should map the stream events onto the lifecycle, at the event’s timestamp', () => {
    for (const [type, signal] of [
      ['stream.started', 'active'],
      ['stream.idle', 'disconnected'],
    ]) {
      expect(webhooks.parse(Buffer.from(event({ event: type })))).toEqual({
        eventId: 'c3d1a1f4-0000-4000-8000-000000000001',
        eventType: type,
        signal,
        providerInputId: 'st-123',
        occurredAt: new Date(NOW.getTime() - 2000),
      });
    }
  });

  it('should refuse invalid JSON, a body that is not an event, and an event type it does not handle', () => {
    expect(parse('{"event":')).toBe('malformed');
    expect(parse('null')).toBe('malformed');
    expect(parse(event({ timestamp: 'today' }))).toBe('malformed');
    expect(parse(event({ id: undefined }))).toBe('malformed');
    expect(parse(event({ stream: undefined }))).toBe('malformed');
    expect(parse(event({ event: 'multistream.connected' }))).toBe('unknown-event');
  });
});

describe('Livepeer asset events', () => {
  const webhooks = new LivepeerWebhooks([SECRET]);

  it("should read an asset event's id, playback id and length, naming no stream", () => {
    const body = event({
      event: 'asset.ready',
      stream: null,
      payload: { id: 'as-1', snapshot: { playbackId: 'pb-1', videoSpec: { duration: 29.5 } } },
    });
    expect(webhooks.parse(Buffer.from(body))).toEqual({
      eventId: 'c3d1a1f4-0000-4000-8000-000000000001',
      eventType: 'asset.ready',
      asset: { assetId: 'as-1', status: 'ready', durationSeconds: 29.5, playbackId: 'pb-1' },
      occurredAt: new Date(NOW.getTime() - 2000),
    });
    expect(webhooks.parse(Buffer.from(event({ event: 'asset.failed', payload: { id: 'as-1' } }))).asset).toEqual({
      assetId: 'as-1',
      status: 'failed',
      durationSeconds: null,
      playbackId: null,
    });
    expect(rejection(() => webhooks.parse(Buffer.from(event({ event: 'asset.ready', payload: {} }))))).toBe('malformed');
  });
});

describe('Livepeer recording events', () => {
  const webhooks = new LivepeerWebhooks([SECRET]);
  const session = { id: 'se-1', parentId: 'st-123', playbackId: 'pb-stream', sourceSegmentsDuration: 61.5 };

  it("should read a recording's asset (the session's), its stream, length and, once ready, the session's playback id", () => {
    const at = new Date(NOW.getTime() - 2000);
    const read = (type: string, payload: object) => webhooks.parse(Buffer.from(event({ event: type, payload })));
    expect(read('recording.started', { session: { ...session, recordingStatus: 'waiting', sourceSegmentsDuration: 0 } })).toEqual({
      eventId: 'c3d1a1f4-0000-4000-8000-000000000001',
      eventType: 'recording.started',
      asset: { assetId: 'se-1', status: 'recording', durationSeconds: 0, playbackId: null },
      providerInputId: 'st-123',
      occurredAt: at,
    });
    expect(read('recording.waiting', { session: { ...session, assetId: 'se-1' } }).asset).toEqual({
      assetId: 'se-1',
      status: 'recording',
      durationSeconds: 61.5,
      playbackId: null,
    });
    expect(read('recording.ready', { recordingUrl: 'https://x/index.m3u8', session: { ...session, assetId: 'as-9' } })).toEqual({
      eventId: 'c3d1a1f4-0000-4000-8000-000000000001',
      eventType: 'recording.ready',
      asset: { assetId: 'as-9', status: 'ready', durationSeconds: 61.5, playbackId: 'se-1' },
      providerInputId: 'st-123',
      occurredAt: at,
    });
  });

  it("should take the stream from the session's parent when the event carries none, and refuse one naming neither", () => {
    const body = event({ event: 'recording.ready', stream: null, payload: { session } });
    expect(webhooks.parse(Buffer.from(body)).providerInputId).toBe('st-123');
    const orphan = event({ event: 'recording.ready', stream: null, payload: { session: { id: 'se-1' } } });
    expect(rejection(() => webhooks.parse(Buffer.from(orphan)))).toBe('malformed');
    expect(rejection(() => webhooks.parse(Buffer.from(event({ event: 'recording.started', payload: {} }))))).toBe('malformed');
  });
});

describe('the Livepeer adapter', () => {
  const fake = fakeLivepeer('livepeer-api-key');
  let livepeer: LivepeerProvider;
  let baseUrl: string;

  beforeAll(async () => {
    baseUrl = await fake.start();
    livepeer = new LivepeerProvider({ baseUrl, apiKey: 'livepeer-api-key' });
  });
  afterAll(() => fake.stop());

  it('should create a recorded, publicly playable stream named after the channel', async () => {
    const input = await livepeer.createLiveInput('5f0c8a52-6d5c-4c52-9a4c-1d7a3f1e2b3c');
    expect(input).toEqual({
      providerInputId: expect.any(String),
      streamKey: expect.any(String),
      playbackId: expect.any(String),
      rtmpUrl: 'rtmp://rtmp.livepeer.com/live',
      srtUrl: `srt://rtmp.livepeer.com:2935?streamid=${input.streamKey}`,
    });
    expect(fake.requests.at(-1)).toEqual({
      method: 'POST',
      url: '/api/stream',
      authorization: 'Bearer livepeer-api-key',
      body: { name: 'channel-5f0c8a52-6d5c-4c52-9a4c-1d7a3f1e2b3c', record: true, playbackPolicy: { type: 'public' } },
    });
    expect(fake.ingestAccepts(input.streamKey)).toBe(true);
  });

  it('should rotate a key by replacing the stream, the old key refused at the provider', async () => {
    const before = await livepeer.createLiveInput('channel');
    const after = await livepeer.rotateStreamKey(before.providerInputId, 'channel');
    expect(after).toEqual({
      streamKey: expect.any(String),
      srtUrl: expect.stringContaining(after.streamKey),
      providerInputId: expect.any(String),
      playbackId: expect.any(String),
    });
    expect(after.providerInputId).not.toBe(before.providerInputId);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'DELETE', url: `/api/stream/${before.providerInputId}` });
    expect(fake.ingestAccepts(before.streamKey)).toBe(false);
    expect(fake.ingestAccepts(after.streamKey)).toBe(true);
  });

  it("should ask for a clip of the stream's playback id over a window of unix milliseconds", async () => {
    const input = await livepeer.createLiveInput('channel');
    const startedAt = new Date('2026-11-27T11:00:00.000Z');
    const request = {
      clipId: '0b7d0c2e-0000-4000-8000-000000000001',
      source: { assetId: null, playbackId: input.playbackId, startedAt },
      startSeconds: 60.25,
      durationSeconds: 30,
      title: 'a play',
    };
    await expect(livepeer.createClip(request)).resolves.toEqual({ assetId: expect.any(String) });
    expect(fake.requests.at(-1)).toEqual({
      method: 'POST',
      url: '/api/clip',
      authorization: 'Bearer livepeer-api-key',
      body: {
        playbackId: input.playbackId,
        startTime: startedAt.getTime() + 60_250,
        endTime: startedAt.getTime() + 90_250,
        name: 'a play',
      },
    });
    await expect(livepeer.createClip({ ...request, source: { ...request.source, startedAt: null } })).rejects.toBeInstanceOf(
      ClipSourceUnavailable,
    );
    await expect(livepeer.createClip({ ...request, source: { ...request.source, playbackId: 'unknown' } })).rejects.toMatchObject({
      status: 404,
    });
  });

  it("should delete a recording's asset by the session's id, one already gone being no error", async () => {
    const input = await livepeer.createLiveInput('channel');
    const session = fake.session(input.providerInputId, 30);
    session.asset('ready', Date.now());
    await livepeer.deleteAsset(session.id);
    expect(fake.requests.at(-1)).toEqual({
      method: 'DELETE',
      url: `/api/asset/${session.id}`,
      authorization: 'Bearer livepeer-api-key',
      body: undefined,
    });
    expect(fake.holdsAsset(session.id)).toBe(false);
    await expect(livepeer.deleteAsset(session.id)).resolves.toBeUndefined();
  });

  it('should fail with the status Livepeer answered', async () => {
    const failure = livepeer.rotateStreamKey('missing', 'channel');
    await expect(failure).rejects.toBeInstanceOf(LivepeerApiError);
    await expect(failure).rejects.toMatchObject({ status: 404 });
    const unauthorized = new LivepeerProvider({ baseUrl, apiKey: 'wrong' }).createLiveInput('channel');
    await expect(unauthorized).rejects.toMatchObject({ status: 401 });
  });
});
