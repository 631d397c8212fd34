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

/**
 * A fake of Livepeer Studio's stream and clip API (https://docs.livepeer.org/api-reference/stream), answering as its
 * reference documents with the API key the test gives it, and recording what it was asked. Its `ingestAccepts`
 * plays Livepeer's ingest: a key is accepted while its stream exists.
 */
export function fakeLivepeer(apiKey: string) {
  const requests: FakeLivepeerRequest[] = [];
  const streams = new Map<string, { id: string; name: string; streamKey: string; playbackId: string; record: boolean }>();
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
      res.end(
        JSON.stringify({
          asset: { id: randomUUID(), playbackId: randomBytes(8).toString('hex'), source: { type: 'clip' } },
          task: { id: randomUUID() },
        }),
      );
    } else if (req.method === 'DELETE' && one && streams.delete(one[1])) {
      res.statusCode = 204;
      res.end();
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ errors: ['not found'] }));
    }
  });
  return {
    requests,
    ingestAccepts: (streamKey: string) => [...streams.values()].some((s) => s.streamKey === streamKey),
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
