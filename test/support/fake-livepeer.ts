import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeLivepeerRequest {
  method: string;
  url: string;
  authorization?: string;
  body: unknown;
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
  });

interface FakeStream {
  id: string;
  name: string;
  streamKey: string;
  playbackId: string;
  record: boolean;
}

interface FakeAsset {
  id: string;
  playbackId: string;
  source: { type: 'clip' } | { type: 'recording'; sessionId: string };
  status: { phase: 'waiting' | 'ready' | 'failed'; updatedAt: number };
  videoSpec?: { duration: number };
}

/**
 * A fake of Livepeer Studio's stream, clip and asset API (https://docs.livepeer.org/api-reference/stream), answering
 * as its reference documents with the API key the test gives it, and recording what it was asked. Its
 * `ingestAccepts` plays Livepeer's ingest: a key is accepted while its stream exists. Its `session` plays a recorded
 * session of a stream: the webhook bodies Livepeer delivers about it (`recording.*`, then the recording asset's
 * `asset.ready` or `asset.failed`), as Livepeer builds them, and the recording asset (its id the session's) that
 * `DELETE /api/asset/{id}` deletes.
 */
export function fakeLivepeer(apiKey: string) {
  const requests: FakeLivepeerRequest[] = [];
  const streams = new Map<string, FakeStream>();
  const assets = new Map<string, FakeAsset>();
  const server = createServer(async (req, res) => {
    const text = await read(req);
    requests.push({
      method: req.method!,
      url: req.url!,
      authorization: req.headers.authorization,
      body: text ? JSON.parse(text) : undefined,
    });
    res.setHeader('content-type', 'application/json');
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      res.statusCode = 401;
      res.end(JSON.stringify({ errors: ['Unauthorized'] }));
      return;
    }
    const one = /^\/api\/stream\/([^/]+)$/.exec(req.url!);
    const asset = /^\/api\/asset\/([^/]+)$/.exec(req.url!);
    if (req.method === 'POST' && req.url === '/api/stream') {
      const body = JSON.parse(text) as { name?: string; record?: boolean };
      const stream = {
        id: randomUUID(),
        name: body.name ?? '',
        streamKey: `${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}`,
        playbackId: randomBytes(8).toString('hex'),
        record: body.record ?? false,
      };
      streams.set(stream.id, stream);
      res.statusCode = 201;
      res.end(JSON.stringify({ ...stream, kind: 'stream', isActive: false, suspended: false, createdAt: Date.now() }));
    } else if (req.method === 'POST' && req.url === '/api/clip') {
      // A clip of a stream by its playback id: the asset at once, made by a task.
      const body = JSON.parse(text) as { playbackId?: string; startTime?: number; endTime?: number };
      const known = [...streams.values()].some((s) => s.playbackId === body.playbackId);
      if (!known || typeof body.startTime !== 'number' || typeof body.endTime !== 'number' || body.endTime <= body.startTime) {
        res.statusCode = known ? 422 : 404;
        res.end(JSON.stringify({ errors: [known ? 'invalid clip window' : 'stream not found'] }));
        return;
      }
      const asset: FakeAsset = {
        id: randomUUID(),
        playbackId: randomBytes(8).toString('hex'),
        source: { type: 'clip' },
        status: { phase: 'waiting', updatedAt: Date.now() },
      };
      assets.set(asset.id, asset);
      res.end(JSON.stringify({ asset, task: { id: randomUUID() } }));
    } else if (req.method === 'DELETE' && one && streams.delete(one[1])) {
      res.statusCode = 204;
      res.end();
    } else if (req.method === 'DELETE' && asset && assets.delete(asset[1])) {
      res.statusCode = 204;
      res.end();
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ errors: ['not found'] }));
    }
  });
  /** A webhook body as Livepeer's webhook cannon delivers it: the event, its stream (key removed), its payload. */
  const webhook = (event: string, stream: FakeStream | null, at: number, payload: object) =>
    JSON.stringify({
      id: randomUUID(),
      webhookId: 'wh-fake',
      createdAt: at,
      timestamp: at,
      event,
      stream: stream && { id: stream.id, name: stream.name, playbackId: stream.playbackId, record: stream.record, kind: 'stream' },
      payload,
    });

  /**
   * A recorded session of stream `streamId`. Livepeer reports its recording with the session (its id, its parent
   * stream, the duration of its source segments, `assetId` once the recording is an asset), and the recording asset's
   * own events with the asset's id, playback id and length.
   */
  const session = (streamId: string, sourceSegmentsDuration: number) => {
    const stream = streams.get(streamId);
    if (!stream) throw new Error(`the fake holds no stream ${streamId}`);
    const id = randomUUID();
    const createdAt = Date.now();
    const sessionObject = (recordingStatus: string, extra: object = {}) => ({
      id,
      kind: 'session',
      parentId: stream.id,
      playbackId: stream.playbackId,
      name: stream.name,
      record: true,
      createdAt,
      sourceSegmentsDuration,
      recordingStatus,
      ...extra,
    });
    const recordingAsset = (phase: FakeAsset['status']['phase'], at: number): FakeAsset => {
      const made: FakeAsset = {
        id,
        playbackId: assets.get(id)?.playbackId ?? randomBytes(8).toString('hex'),
        source: { type: 'recording', sessionId: id },
        status: { phase, updatedAt: at },
        ...(phase === 'ready' ? { videoSpec: { duration: sourceSegmentsDuration } } : {}),
      };
      assets.set(id, made);
      return made;
    };
    return {
      id,
      // A session just begun has no source segments yet.
      started: (at: number) =>
        webhook('recording.started', stream, at, { session: sessionObject('waiting', { sourceSegmentsDuration: 0 }) }),
      waiting: (at: number) => {
        recordingAsset('waiting', at);
        return webhook('recording.waiting', stream, at, { session: sessionObject('ready', { assetId: id }) });
      },
      ready: (at: number) => {
        recordingAsset('ready', at);
        return webhook('recording.ready', stream, at, {
          recordingUrl: `https://livepeercdn.studio/recordings/${id}/index.m3u8`,
          mp4Url: `https://livepeercdn.studio/recordings/${id}/source.mp4`,
          session: sessionObject('ready', { assetId: id }),
        });
      },
      /** The recording asset's `asset.ready` or `asset.failed`: its payload names the asset only. */
      asset: (phase: 'ready' | 'failed', at: number) => {
        const made = recordingAsset(phase, at);
        return { body: webhook(`asset.${phase}`, null, at, { id: made.id, snapshot: made }), playbackId: made.playbackId };
      },
    };
  };

  return {
    requests,
    session,
    /** Whether Livepeer still holds the asset (a recording's: the session's id). */
    holdsAsset: (id: string) => assets.has(id),
    ingestAccepts: (streamKey: string) => [...streams.values()].some((s) => s.streamKey === streamKey),
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
