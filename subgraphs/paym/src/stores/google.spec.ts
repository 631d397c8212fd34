import { generateKeyPairSync } from 'node:crypto';
import {
  type FakeGoogle,
  pushBody,
  startFakeGoogle,
  subscriptionNotification,
  voidedNotification,
} from '../../../../test/support/fake-google';
import { DomainError } from '../../../../kernel/errors';
import { GoogleNotifications, GooglePlayPurchases } from './google';
import type { NotificationRejected } from './port';

const PACKAGE = 'com.example.unit';
const AUDIENCE = 'https://platform.example.test/webhooks/v1/payments/google';
const PUSHER = 'pubsub-push@example-project.iam.gserviceaccount.com';
const userId = '7d1d7b2e-4a53-4a8a-9a86-1f6f0b0f0a01';
const channelId = '0b8e3c4e-5c1d-4d8e-8a3c-2f0e1d2c3b4a';
const products: Record<string, { channelId: string; tier: number }> = { 'tier2.monthly': { channelId, tier: 2 } };
const productOf = async (id: string) => products[id] ?? null;

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: NotificationRejected) => error.reason ?? error.message,
  );

describe('Google Play', () => {
  let google: FakeGoogle;
  let push: GoogleNotifications;
  const now = new Date();

  beforeAll(async () => {
    google = await startFakeGoogle({ packageName: PACKAGE });
    push = new GoogleNotifications(
      { audience: AUDIENCE, serviceAccount: PUSHER, certsUrl: google.certsUrl, packageName: PACKAGE },
      productOf,
    );
  });
  afterAll(() => google.stop());

  const bearer = async (claims: Partial<Parameters<FakeGoogle['signPush']>[0]> = {}) =>
    `Bearer ${await google.signPush({ audience: AUDIENCE, email: PUSHER, ...claims })}`;
  const purchased = (token = 'token-1', product = 'tier2.monthly', packageName = PACKAGE) =>
    pushBody(subscriptionNotification(packageName, now, 4, token, product), '9001');

  describe('GoogleNotifications (Pub/Sub push)', () => {
    it('should read a subscription notification, authenticated by its token, as a change to ask Google Play about', async () => {
      const read = await push.verify(Buffer.from(purchased()), { authorization: await bearer() });
      expect(read).toMatchObject({ store: 'google', eventId: '9001', eventType: 'SUBSCRIPTION_PURCHASED', occurredAt: now });
      expect(read.notice).toEqual({ kind: 'changed', subscriptionRef: 'token-1', productId: 'tier2.monthly', notificationType: 4 });
    });

    it('should read a voided subscription purchase as a refund of its order, and acknowledge the console test', async () => {
      const voided = pushBody(voidedNotification(PACKAGE, now, 'token-1', 'GPA.1111-2222-3333-44444'));
      expect((await push.verify(Buffer.from(voided), { authorization: await bearer() })).notice).toEqual({
        kind: 'refunded',
        paymentRefs: ['GPA.1111-2222-3333-44444'],
        subscriptionRef: 'token-1',
      });
      const test = pushBody({
        version: '1.0',
        packageName: PACKAGE,
        eventTimeMillis: String(now.getTime()),
        testNotification: { version: '1.0' },
      });
      expect((await push.verify(Buffer.from(test), { authorization: await bearer() })).notice).toEqual({ kind: 'ignored' });
    });

    it('should refuse every wrong push: token missing, forged, expired, for another audience, issuer or account', async () => {
      const body = Buffer.from(purchased());
      const hourAgo = new Date(Date.now() - 3_600_000);
      const cases = await Promise.all([
        rejection(push.verify(body, {})),
        rejection(push.verify(body, { authorization: 'Bearer not-a-jwt' })),
        rejection(push.verify(body, { authorization: (await bearer()).replace('Bearer', 'Basic') })),
        rejection(push.verify(body, { authorization: await bearer({ key: google.forgeryKey }) })),
        rejection(push.verify(body, { authorization: await bearer({ kid: 'unknown-key' }) })),
        rejection(
          push.verify(body, { authorization: await bearer({ issuedAt: new Date(hourAgo.getTime() - 600_000), expiresAt: hourAgo }) }),
        ),
        rejection(push.verify(body, { authorization: await bearer({ audience: 'https://elsewhere.example.test/push' }) })),
        rejection(push.verify(body, { authorization: await bearer({ issuer: 'https://issuer.example.test' }) })),
        rejection(push.verify(body, { authorization: await bearer({ email: 'someone@example-project.iam.gserviceaccount.com' }) })),
        rejection(push.verify(body, { authorization: await bearer({ emailVerified: false }) })),
      ]);
      expect(cases).toEqual([
        'signature',
        'signature',
        'signature',
        'signature',
        'signature',
        'stale',
        'signature',
        'signature',
        'signature',
        'signature',
      ]);
    });

    it('should refuse another app, a product no channel sells, and bodies that are not a push of a notification', async () => {
      const authorization = await bearer();
      const verify = (body: string) => rejection(push.verify(Buffer.from(body), { authorization }));
      expect(await verify(purchased('t', 'tier2.monthly', 'com.example.other'))).toBe('signature');
      expect(await verify(purchased('t', 'unsold.monthly'))).toBe('unknown-event');
      expect(await verify(pushBody({ packageName: PACKAGE, eventTimeMillis: String(now.getTime()), oneTimeProductNotification: {} }))).toBe(
        'unknown-event',
      );
      expect(await verify('{"message": {"data": "bm90IGpzb24=", "messageId": "1"}}')).toBe('malformed');
      expect(await verify('{"message": {"messageId": "1"}}')).toBe('malformed');
      expect(await verify('not json')).toBe('malformed');
      expect(await verify(pushBody({ packageName: PACKAGE, eventTimeMillis: String(now.getTime()), subscriptionNotification: {} }))).toBe(
        'malformed',
      );
    });

    it("should answer 'unavailable' when Google's certificates cannot be fetched", async () => {
      const offline = new GoogleNotifications(
        { audience: AUDIENCE, serviceAccount: PUSHER, certsUrl: `${google.url}/nowhere`, packageName: PACKAGE },
        productOf,
      );
      const error = await offline.verify(Buffer.from(purchased()), { authorization: await bearer() }).catch((e) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('PAYM_STORE_UNAVAILABLE');
    });
  });

  describe('GooglePlayPurchases (purchases.subscriptionsv2.get)', () => {
    const play = (key = google.serviceAccountKey) =>
      new GooglePlayPurchases({ baseUrl: google.url, packageName: PACKAGE, serviceAccount: key }, productOf, () => now);
    const changed = (token: string, notificationType = 2) =>
      ({ kind: 'changed', subscriptionRef: token, productId: 'tier2.monthly', notificationType }) as const;
    const later = new Date(now.getTime() + 30 * 86_400_000);
    const item = (extra: object = {}) => ({
      productId: 'tier2.monthly',
      expiryTime: later.toISOString(),
      latestSuccessfulOrderId: 'GPA.1-1-1-1..3',
      autoRenewingPlan: { recurringPrice: { currencyCode: 'USD', units: '4', nanos: 990_000_000 } },
      ...extra,
    });
    const set = (token: string, subscriptionState: string, extra: object = {}) =>
      google.purchases.set(token, {
        subscriptionState,
        externalAccountIdentifiers: { obfuscatedExternalAccountId: userId },
        lineItems: [item(extra)],
      });

    it('should read an active purchase, asked as the service account, as a payment in minor units for its period', async () => {
      set('active', 'SUBSCRIPTION_STATE_ACTIVE');
      const before = google.calls.length;
      expect(await play().current(changed('active'))).toEqual({
        kind: 'paid',
        subscriptionRef: 'active',
        subscriber: { userId, channelId, tier: 2 },
        periodEnd: later,
        payment: { id: 'GPA.1-1-1-1..3', aliases: [], amount: 499, currency: 'usd' },
      });
      expect(google.calls.slice(before)).toEqual([{ token: 'active', authorized: true }]);
      set('yen', 'SUBSCRIPTION_STATE_ACTIVE', { autoRenewingPlan: { recurringPrice: { currencyCode: 'JPY', units: '500' } } });
      expect(await play().current(changed('yen'))).toMatchObject({ payment: { amount: 500, currency: 'jpy' } });
    });

    it('should map the other states onto the entitlement state machine', async () => {
      const cases: [string, string, number, object][] = [
        ['grace', 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD', 6, { kind: 'state', state: 'grace', periodEnd: later }],
        ['hold', 'SUBSCRIPTION_STATE_ON_HOLD', 5, { kind: 'state', state: 'on_hold' }],
        ['paused', 'SUBSCRIPTION_STATE_PAUSED', 10, { kind: 'state', state: 'on_hold' }],
        ['expired', 'SUBSCRIPTION_STATE_EXPIRED', 13, { kind: 'state', state: 'expired' }],
        ['revoked', 'SUBSCRIPTION_STATE_EXPIRED', 12, { kind: 'state', state: 'revoked' }],
        ['pending', 'SUBSCRIPTION_STATE_PENDING', 4, { kind: 'state', state: 'pending', subscriber: { userId, channelId, tier: 2 } }],
        ['canceled', 'SUBSCRIPTION_STATE_CANCELED', 3, { kind: 'paid', periodEnd: later, payment: undefined }],
      ];
      for (const [token, state] of cases) set(token, state);
      const read = await Promise.all(cases.map(([token, , type]) => play().current(changed(token, type))));
      expect(read).toEqual(cases.map(([token, , , expected]) => expect.objectContaining({ subscriptionRef: token, ...expected })));
      set('lapsed', 'SUBSCRIPTION_STATE_CANCELED', { expiryTime: new Date(now.getTime() - 1000).toISOString() });
      expect(await play().current(changed('lapsed', 3))).toMatchObject({ kind: 'state', state: 'expired' });
    });

    it('should fail, to be retried, when Google Play refuses the account, knows no such purchase, or names no user', async () => {
      const stranger = {
        ...google.serviceAccountKey,
        private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      };
      set('known', 'SUBSCRIPTION_STATE_ACTIVE');
      await expect(play(stranger).current(changed('known'))).rejects.toThrow('401');
      await expect(play().current(changed('unknown'))).rejects.toThrow('404');
      google.purchases.set('anonymous', { subscriptionState: 'SUBSCRIPTION_STATE_ACTIVE', lineItems: [item()] });
      await expect(play().current(changed('anonymous'))).rejects.toThrow('no platform user');
    });
  });
});
