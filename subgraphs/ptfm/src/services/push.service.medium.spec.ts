import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import ece from 'http_ece';
import { pino } from 'pino';
import webpush from 'web-push';
import { makeEvent } from '../../../../kernel/events';
import { notificationId } from '../../../../kernel/notification-id';
import { startPtfmDb } from '../../../../test/support/ptfm';
import { PUSH_MAX_ATTEMPTS, PushService, webPushSender } from './push.service';
import { PushSubscriptionsService } from './push-subscriptions.service';

type Ptfm = Awaited<ReturnType<typeof startPtfmDb>>;

/** A browser's side of Web Push: its key pair and auth secret, as PushSubscription.toJSON() hands them out. */
function browser() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    decrypt: (body: Buffer) =>
      ece.decrypt(body, { version: 'aes128gcm', privateKey: ecdh, authSecret: auth.toString('base64url') }).toString('utf8'),
  };
}

/**
 * PushService against a real PostgreSQL and a push service played by a local HTTP server: the browser's side
 * decrypts what was pushed (RFC 8291), a 410 removes the subscription, quiet hours hold a push back.
 */
describe(PushService.name, () => {
  let ptfm: Ptfm;
  let server: Server;
  let base: string;
  const received: { path: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
  /** What the push service answers a path the next times it is asked, before its default. */
  const answers = new Map<string, { status: number; headers?: Record<string, string> }[]>();

  beforeAll(async () => {
    ptfm = await startPtfmDb();
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        const planned = answers.get(req.url ?? '')?.shift();
        if (planned) res.writeHead(planned.status, planned.headers).end();
        else res.writeHead(req.url?.startsWith('/gone/') ? 410 : 201).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await ptfm?.close();
  });

  it('should push an encrypted notification the browser decrypts, drop a gone subscription and wait out quiet hours', async () => {
    const vapid = { subject: 'mailto:ops@streaming.example', ...webpush.generateVAPIDKeys() };
    const now = new Date('2026-11-27T23:00:00.000Z');
    const push = new PushService(ptfm.db.prisma, webPushSender(vapid), pino({ level: 'silent' }), () => now);
    const subscriptions = new PushSubscriptionsService(ptfm.db.prisma);
    const [awake, gone, sleeping] = [randomUUID(), randomUUID(), randomUUID()];
    const awakeBrowser = browser();
    await subscriptions.register(awake, { endpoint: `${base}/live/${awake}`, keys: awakeBrowser.keys });
    await subscriptions.register(gone, { endpoint: `${base}/gone/${gone}`, keys: browser().keys });
    await subscriptions.register(sleeping, { endpoint: `${base}/live/${sleeping}`, keys: browser().keys });
    await ptfm.db.pool.query(
      `INSERT INTO preference (user_id, go_live, quiet_start, quiet_end, time_zone, updated_at) VALUES ($1, true, 1320, 420, 'UTC', now())`,
      [sleeping],
    );

    const event = makeEvent('ptfm.notification.created.v1', {
      kind: 'go_live',
      streamId: randomUUID(),
      channelId: randomUUID(),
      broadcaster: { id: randomUUID(), login: 'streamer', displayName: 'Streamer' },
      title: 'Speedrun',
      category: 'Games',
      thumbnailUrl: 'https://image.example/playback/thumbnail.jpg',
      startedAt: now.toISOString(),
      createdAt: now.toISOString(),
      recipients: [awake, gone, sleeping, randomUUID()],
    });
    expect(await push.queue(event, 'ptfm-notify-wkr.ptfm.notification.created.v1')).toEqual({ queued: 3 });
    expect(await push.queue(event, 'ptfm-notify-wkr.ptfm.notification.created.v1')).toBe('duplicate');
    expect(await push.sendDue()).toEqual({ sent: 1, gone: 1, retried: 0, dropped: 0 });
    expect(await push.sendDue()).toBeNull();

    expect(received.map((r) => r.path).sort()).toEqual([`/gone/${gone}`, `/live/${awake}`].sort());
    const delivered = received.find((r) => r.path === `/live/${awake}`);
    expect(delivered?.headers['content-encoding']).toBe('aes128gcm');
    expect(delivered?.headers.authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${vapid.publicKey}$`));
    expect(JSON.parse(awakeBrowser.decrypt(delivered?.body ?? Buffer.alloc(0)))).toEqual({
      id: notificationId(event.data.streamId, awake),
      kind: 'go_live',
      channelId: event.data.channelId,
      streamId: event.data.streamId,
      broadcaster: event.data.broadcaster,
      title: 'Speedrun',
      category: 'Games',
      thumbnailUrl: 'https://image.example/playback/thumbnail.jpg',
      startedAt: now.toISOString(),
    });

    const left = await ptfm.db.pool.query<{ user_id: string }>('SELECT user_id::text FROM push_subscription ORDER BY user_id');
    expect(left.rows.map((r) => r.user_id)).toEqual([awake, sleeping].sort());
    const waiting = await ptfm.db.pool.query<{ due_at: Date }>('SELECT due_at FROM push_pending');
    expect(waiting.rows.map((r) => r.due_at.toISOString())).toEqual(['2026-11-28T07:00:00.000Z']);
  });

  it('should try again later a push the push service cannot take now, and drop one it refuses for good', async () => {
    await ptfm.db.pool.query('DELETE FROM push_pending');
    const vapid = { subject: 'mailto:ops@streaming.example', ...webpush.generateVAPIDKeys() };
    let now = new Date('2026-11-27T12:00:00.000Z');
    const push = new PushService(ptfm.db.prisma, webPushSender(vapid), pino({ level: 'silent' }), () => now);
    const subscriptions = new PushSubscriptionsService(ptfm.db.prisma);
    const [busy, flaky, refused, down] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    answers.set(`/busy/${busy}`, [{ status: 503, headers: { 'retry-after': '120' } }]);
    answers.set(
      `/flaky/${flaky}`,
      Array.from({ length: PUSH_MAX_ATTEMPTS }, () => ({ status: 429 })),
    );
    answers.set(`/refused/${refused}`, [{ status: 400 }]);
    await subscriptions.register(busy, { endpoint: `${base}/busy/${busy}`, keys: browser().keys });
    await subscriptions.register(flaky, { endpoint: `${base}/flaky/${flaky}`, keys: browser().keys });
    await subscriptions.register(refused, { endpoint: `${base}/refused/${refused}`, keys: browser().keys });
    // A port nothing listens on: the push service cannot be reached.
    await subscriptions.register(down, { endpoint: 'http://127.0.0.1:9/push', keys: browser().keys });
    const event = makeEvent('ptfm.notification.created.v1', {
      kind: 'go_live',
      streamId: randomUUID(),
      channelId: randomUUID(),
      broadcaster: { id: randomUUID(), login: 'streamer', displayName: 'Streamer' },
      title: 'Retries',
      category: 'Games',
      startedAt: now.toISOString(),
      createdAt: now.toISOString(),
      recipients: [busy, flaky, refused, down],
    });
    await push.queue(event, 'ptfm-notify-wkr.ptfm.notification.created.v1');
    const pending = async () =>
      (
        await ptfm.db.pool.query<{ user_id: string; attempts: number; due_at: Date }>(
          `SELECT s.user_id::text, q.attempts, q.due_at FROM push_pending q JOIN push_subscription s ON s.id = q.subscription_id
           ORDER BY q.due_at, s.user_id`,
        )
      ).rows.map((r) => ({ userId: r.user_id, attempts: r.attempts, dueAt: r.due_at.toISOString() }));

    expect(await push.sendDue()).toEqual({ sent: 0, gone: 0, retried: 3, dropped: 1 });
    expect(await pending()).toEqual(
      [
        { userId: flaky, attempts: 1, dueAt: '2026-11-27T12:00:30.000Z' },
        { userId: down, attempts: 1, dueAt: '2026-11-27T12:00:30.000Z' },
        { userId: busy, attempts: 1, dueAt: '2026-11-27T12:02:00.000Z' },
      ].sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.userId.localeCompare(b.userId)),
    );
    expect(await push.sendDue()).toBeNull();

    now = new Date('2026-11-27T12:02:00.000Z');
    expect(await push.sendDue()).toEqual({ sent: 1, gone: 0, retried: 2, dropped: 0 });
    expect((await pending()).map((p) => [p.userId, p.attempts]).sort()).toEqual(
      [
        [down, 2],
        [flaky, 2],
      ].sort(),
    );

    for (let i = 0; i < PUSH_MAX_ATTEMPTS; i += 1) {
      now = new Date(now.getTime() + 3_600_000);
      await push.sendDue();
    }
    expect(await pending()).toEqual([]);
    const pushedTo = received.map((r) => r.path);
    expect(pushedTo.filter((p) => p === `/flaky/${flaky}`)).toHaveLength(PUSH_MAX_ATTEMPTS);
    expect(pushedTo.filter((p) => p === `/busy/${busy}`)).toHaveLength(2);
    expect(pushedTo.filter((p) => p === `/refused/${refused}`)).toHaveLength(1);
  });
});
