import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MuxApiError, MuxProvider, MuxWebhooks, signMuxWebhook } from './mux';
import { ClipSourceUnavailable, WebhookRejected } from './port';

const SECRET = 'mux-webhook-secret-0123456789';
const OTHER_SECRET = 'mux-webhook-secret-rotated-abcdef';
const NOW = new Date('2026-11-27T12:00:00.000Z');
const nowSeconds = NOW.getTime() / 1000;

const event = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'video.live_stream.active',
    id: 'b7e6c1f4-0000-4000-8000-000000000001',
    created_at: '2026-11-27T11:59:58.000Z',
    object: { type: 'live_stream', id: 'ls-123' },
    data: { id: 'ls-123', status: 'active', stream_key: 'secret-key' },
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

describe('Mux webhook signatures', () => {
  const webhooks = new MuxWebhooks([SECRET], 300);
  const body = event();
  const verify = (raw: string | Buffer, header: string | undefined, secrets = webhooks) =>
    rejection(() => secrets.verify(Buffer.from(raw), header, NOW));

  it('should accept a body signed as Mux signs it', () => {
    const header = `t=${nowSeconds},v1=${createHmac('sha256', SECRET).update(`${nowSeconds}.${body}`).digest('hex')}`;
    expect(header).toBe(signMuxWebhook(SECRET, body, nowSeconds));
    expect(verify(body, header)).toBe('accepted');
  });

  it('should accept any of the configured secrets, and any of several v1 signatures', () => {
    const rotating = new MuxWebhooks([OTHER_SECRET, SECRET]);
    expect(verify(body, signMuxWebhook(SECRET, body, nowSeconds), rotating)).toBe('accepted');
    expect(verify(body, signMuxWebhook(OTHER_SECRET, body, nowSeconds), rotating)).toBe('accepted');
    const [t, v1] = signMuxWebhook(SECRET, body, nowSeconds).split(',');
    expect(verify(body, `${t},v1=${'0'.repeat(64)},${v1}`)).toBe('accepted');
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no v1', `t=${nowSeconds}`],
    ['a v1 that is not hex SHA-256', `t=${nowSeconds},v1=abc`],
    ['a timestamp that is not a number', `t=soon,v1=${'a'.repeat(64)}`],
    ['a signature made with another secret', signMuxWebhook('not-the-secret-at-all', event(), nowSeconds)],
    ['a signature of another timestamp', signMuxWebhook(SECRET, event(), nowSeconds - 1).replace(`t=${nowSeconds - 1}`, `t=${nowSeconds}`)],
  ])('should refuse %s', (_, header) => {
    expect(verify(body, header)).toBe('signature');
  });

  it('should refuse a body changed by one byte', () => {
    const header = signMuxWebhook(SECRET, body, nowSeconds);
    const changed = Buffer.from(body);
    changed[changed.length - 2] ^= 1;
    expect(verify(changed, header)).toBe('signature');
    expect(verify(`${body} `, header)).toBe('signature');
  });

  it('should refuse a correct signature 301 seconds old or ahead, and accept one 300 seconds old', () => {
    expect(verify(body, signMuxWebhook(SECRET, body, nowSeconds - 301))).toBe('stale');
    expect(verify(body, signMuxWebhook(SECRET, body, nowSeconds + 301))).toBe('stale');
    expect(verify(body, signMuxWebhook(SECRET, body, nowSeconds - 300))).toBe('accepted');
  });

  it('should refuse everything when no secret is configured', () => {
    expect(verify(body, signMuxWebhook(SECRET, body, nowSeconds), new MuxWebhooks([]))).toBe('signature');
  });
});

describe('Mux webhook events', () => {
  const webhooks = new MuxWebhooks([SECRET]);
  const parse = (raw: string) => rejection(() => webhooks.parse(Buffer.from(raw)));

  it('should map the live stream events onto the lifecycle, with the provider time', () => {
    for (const [type, signal] of [
      ['video.live_stream.connected', 'connected'],
      ['video.live_stream.active', 'active'],
      ['video.live_stream.disconnected', 'disconnected'],
      ['video.live_stream.idle', 'idle'],
    ]) {
      expect(webhooks.parse(Buffer.from(event({ type })))).toEqual({
        eventId: 'b7e6c1f4-0000-4000-8000-000000000001',
        eventType: type,
        signal,
        providerInputId: 'ls-123',
        occurredAt: new Date('2026-11-27T11:59:58.000Z'),
      });
    }
  });

  it('should refuse invalid JSON, a body that is not an event, and an event type it does not handle', () => {
    expect(parse('{"type":')).toBe('malformed');
    expect(parse('[]')).toBe('malformed');
    expect(parse('null')).toBe('malformed');
    expect(parse(event({ created_at: 'yesterday' }))).toBe('malformed');
    expect(parse(event({ object: undefined, data: undefined }))).toBe('malformed');
    expect(parse(event({ type: 'video.asset.ready' }))).toBe('unknown-event');
  });

  it("should read a clip's asset by its passthrough, even when it names the live stream it was cut from", () => {
    const clipAsset = (data: Record<string, unknown>) =>
      webhooks.parse(Buffer.from(event({ type: 'video.asset.ready', object: { type: 'asset', id: 'as-clip' }, data })));
    const ready = {
      id: 'as-clip',
      status: 'ready',
      duration: 29.97,
      passthrough: 'clip:0b7d0c2e-0000-4000-8000-000000000001',
      playback_ids: [{ id: 'pb-clip', policy: 'public' }],
    };
    const expected = {
      eventId: 'b7e6c1f4-0000-4000-8000-000000000001',
      eventType: 'video.asset.ready',
      asset: { assetId: 'as-clip', status: 'ready', durationSeconds: 29.97, playbackId: 'pb-clip' },
      occurredAt: new Date('2026-11-27T11:59:58.000Z'),
    };
    expect(clipAsset(ready)).toEqual(expected);
    expect(clipAsset({ ...ready, live_stream_id: 'ls-123' })).toEqual(expected);
    // A recording names its live stream, and is the stream's VOD.
    expect(clipAsset({ ...ready, passthrough: undefined, live_stream_id: 'ls-123' })).toEqual({ ...expected, providerInputId: 'ls-123' });
    expect(rejection(() => clipAsset({ ...ready, passthrough: 'someone else’s' }))).toBe('unknown-event');
  });
});

/** A fake of Mux's live stream API, answering as its reference documents, recording what it was asked. */
function fakeMux() {
  const requests: { method: string; url: string; authorization?: string; body: unknown }[] = [];
  let key = 0;
  const liveStream = (id: string) => ({
    id,
    stream_key: `sk-${++key}`,
    srt_passphrase: 'pass phrase',
    status: 'idle',
    playback_ids: [{ id: `pb-${id}`, policy: 'public' }],
  });
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => resolve(text));
    });
  const server: Server = createServer(async (req, res) => {
    const text = await read(req);
    requests.push({
      method: req.method!,
      url: req.url!,
      authorization: req.headers.authorization,
      body: text ? JSON.parse(text) : undefined,
    });
    const reset = /^\/video\/v1\/live-streams\/([^/]+)\/reset-stream-key$/.exec(req.url!);
    res.setHeader('content-type', 'application/json');
    if (req.method === 'POST' && req.url === '/video/v1/assets') {
      res.statusCode = 201;
      res.end(JSON.stringify({ data: { id: 'as-clip-1', status: 'preparing', playback_ids: [{ id: 'pb-clip-1', policy: 'public' }] } }));
    } else if (req.method === 'DELETE' && req.url === '/video/v1/assets/as-recording') {
      // Mux answers a deletion with 204 and no body.
      res.statusCode = 204;
      res.end();
    } else if (req.method === 'POST' && req.url === '/video/v1/live-streams') {
      res.statusCode = 201;
      res.end(JSON.stringify({ data: liveStream('ls-new') }));
    } else if (req.method === 'POST' && reset && reset[1] !== 'missing') {
      res.end(JSON.stringify({ data: liveStream(reset[1]) }));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { type: 'not_found', messages: ['Live stream not found'] } }));
    }
  });
  return {
    requests,
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the Mux adapter', () => {
  const fake = fakeMux();
  let mux: MuxProvider;

  beforeAll(async () => {
    mux = new MuxProvider({ baseUrl: await fake.start(), tokenId: 'token-id', tokenSecret: 'token-secret' });
  });
  afterAll(() => fake.stop());

  it('should create a live stream with public playback, recording and the channel as passthrough', async () => {
    const input = await mux.createLiveInput('5f0c8a52-6d5c-4c52-9a4c-1d7a3f1e2b3c');
    expect(input).toEqual({
      providerInputId: 'ls-new',
      streamKey: 'sk-1',
      playbackId: 'pb-ls-new',
      rtmpUrl: 'rtmps://global-live.mux.com:443/app',
      srtUrl: 'srt://global-live.mux.com:6001?streamid=sk-1&passphrase=pass%20phrase',
    });
    expect(fake.requests.at(-1)).toEqual({
      method: 'POST',
      url: '/video/v1/live-streams',
      authorization: `Basic ${Buffer.from('token-id:token-secret').toString('base64')}`,
      body: {
        playback_policy: ['public'],
        new_asset_settings: { playback_policy: ['public'] },
        reconnect_window: 60,
        passthrough: '5f0c8a52-6d5c-4c52-9a4c-1d7a3f1e2b3c',
      },
    });
  });

  it('should reset the stream key of a live stream', async () => {
    await expect(mux.rotateStreamKey('ls-new')).resolves.toEqual({
      streamKey: 'sk-2',
      srtUrl: 'srt://global-live.mux.com:6001?streamid=sk-2&passphrase=pass%20phrase',
    });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', url: '/video/v1/live-streams/ls-new/reset-stream-key', body: undefined });
  });

  it("should ask for a clip as a new asset cut from the source's asset, with the clip id as passthrough", async () => {
    const request = {
      clipId: '0b7d0c2e-0000-4000-8000-000000000001',
      source: { assetId: 'as-recording', playbackId: 'pb-live', startedAt: NOW },
      startSeconds: 90.5,
      durationSeconds: 30,
      title: 'a play',
    };
    await expect(mux.createClip(request)).resolves.toEqual({ assetId: 'as-clip-1' });
    expect(fake.requests.at(-1)).toEqual({
      method: 'POST',
      url: '/video/v1/assets',
      authorization: `Basic ${Buffer.from('token-id:token-secret').toString('base64')}`,
      body: {
        input: [{ url: 'mux://assets/as-recording', start_time: 90.5, end_time: 120.5 }],
        playback_policy: ['public'],
        passthrough: 'clip:0b7d0c2e-0000-4000-8000-000000000001',
      },
    });
    const asked = fake.requests.length;
    await expect(mux.createClip({ ...request, source: { ...request.source, assetId: null } })).rejects.toBeInstanceOf(
      ClipSourceUnavailable,
    );
    expect(fake.requests).toHaveLength(asked);
  });

  it("should delete a recording's asset, one already gone (404) being no error", async () => {
    await expect(mux.deleteAsset('as-recording')).resolves.toBeUndefined();
    expect(fake.requests.at(-1)).toMatchObject({ method: 'DELETE', url: '/video/v1/assets/as-recording', body: undefined });
    await expect(mux.deleteAsset('as-gone')).resolves.toBeUndefined();
    expect(fake.requests.at(-1)).toMatchObject({ method: 'DELETE', url: '/video/v1/assets/as-gone' });
  });

  it('should fail with the status Mux answered', async () => {
    const failure = mux.rotateStreamKey('missing');
    await expect(failure).rejects.toBeInstanceOf(MuxApiError);
    await expect(failure).rejects.toMatchObject({ status: 404 });
  });
});
