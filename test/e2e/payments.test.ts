import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import Stripe from 'stripe';
import type { EventBus } from '../../kernel/bus/port';
import { connectPaymDb } from '../../subgraphs/paym/src/data/db';
import { TransfersService } from '../../subgraphs/paym/src/services/transfers.service';
import { stripeClient } from '../../subgraphs/paym/src/stores/stripe';
import { bootstrapFirstAdmin } from '../../subgraphs/user/src';
import { totpCode } from '../../subgraphs/user/src/services/totp';
import { eventually } from '../support/eventually';
import { appleNotification, makeAppleAuthority } from '../support/fake-apple';
import { type FakeGoogle, pushBody, startFakeGoogle, subscriptionNotification, voidedNotification } from '../support/fake-google';
import { startFakeStripe } from '../support/fake-stripe';
import { kafkaBusForTests } from '../support/kafka';
import { call, signUpAndLogIn, startTestPlatform, type TestPlatform } from '../support/platform';

const SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const OLD_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const stripe = new Stripe('sk_test_signing_only', { telemetry: false });
const apple = makeAppleAuthority();
const BUNDLE = 'com.example.e2e';
const PACKAGE = 'com.example.e2e.android';
const PUSH_AUDIENCE = 'https://platform.example.test/webhooks/v1/payments/google';
const PUSHER = 'play-rtdn-push@e2e-project.iam.gserviceaccount.com';

/**
 * Channel subscriptions end to end on Kafka, the Stripe way: the broadcaster's tiers, a checkout through (a local
 * stand-in for) Stripe's API, Stripe's signed webhooks through the Webhooks API making one entitlement per
 * subscriber and channel however late, duplicated or reordered they arrive, and the chat domain letting
 * subscribers, and them only, speak in a subscriber-only room.
 */
describe('Channel subscriptions through Stripe over the Private and Webhooks APIs on Kafka', () => {
  let platform: TestPlatform;
  let fakeStripe: Awaited<ReturnType<typeof startFakeStripe>>;
  let google: FakeGoogle;
  let bus: EventBus;
  let db: Pool;
  let api: string;
  let webhook: string;

  beforeAll(async () => {
    fakeStripe = await startFakeStripe();
    google = await startFakeGoogle({ packageName: PACKAGE });
    bus = await kafkaBusForTests('paym-e2e');
    platform = await startTestPlatform(bus, {
      PAYM_STRIPE_API_KEY: 'sk_test_e2e',
      PAYM_STRIPE_BASE_URL: fakeStripe.url,
      PAYM_STRIPE_WEBHOOK_SECRET: `${OLD_SECRET},${SECRET}`,
      PAYM_APPLE_ROOT_CERTS: apple.rootBase64,
      PAYM_APPLE_BUNDLE_ID: BUNDLE,
      PAYM_APPLE_ENVIRONMENT: 'Sandbox',
      PAYM_GOOGLE_PUSH_AUDIENCE: PUSH_AUDIENCE,
      PAYM_GOOGLE_PUSH_SERVICE_ACCOUNT: PUSHER,
      PAYM_GOOGLE_CERTS_URL: google.certsUrl,
      PAYM_GOOGLE_PACKAGE_NAME: PACKAGE,
      PAYM_GOOGLE_API_BASE_URL: google.url,
      PAYM_GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify(google.serviceAccountKey),
    });
    api = platform.api;
    webhook = `${platform.facade.url}/webhooks/v1/payments/stripe`;
    db = new Pool({ connectionString: platform.databaseUrl, max: 2 });
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await platform?.stop();
    await fakeStripe?.stop();
    await google?.stop();
  });

  afterEach(async () => {
    // The ledger balances: every transaction's entries sum to zero, per currency.
    const { rows } = await db.query(
      'SELECT transaction_id, currency, sum(amount)::int AS total FROM paym.ledger_entry GROUP BY 1, 2 HAVING sum(amount) <> 0',
    );
    expect(rows).toEqual([]);
  });

  const count = async (sql: string, ...params: unknown[]) => Number((await db.query(sql, params)).rows[0].n);

  /** A broadcaster whose channel sells tier 1 in usd and eur (the payment domain learns the channel by Kafka). */
  const channelSelling = async (prefix: string) => {
    const owner = await signUpAndLogIn(api, prefix);
    const channelId = await eventually(
      async () => (await call(`${api}/me`, { token: owner.token })).body?.channel?.id as string | undefined,
      30_000,
    );
    const product = {
      tier: 1,
      name: 'Supporter',
      prices: [
        { currency: 'usd', amount: 499 },
        { currency: 'EUR', amount: 459 },
      ],
    };
    const saved = await eventually(async () => {
      const answer = await call(`${api}/channels/${channelId}/subscriptions/products`, {
        method: 'POST',
        token: owner.token,
        body: product,
      });
      return answer.status === 404 ? undefined : answer;
    }, 30_000);
    expect(saved.status).toBe(200);
    return { owner, channelId };
  };

  const subscriber = (userId: string, channelId: string, tier = 1) => ({ userId, channelId, tier: String(tier) });
  const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

  /** A Stripe event as Stripe sends it (API version 2026-10-28). */
  const event = (type: string, object: object, at: Date, id = `evt_${randomBytes(12).toString('hex')}`) =>
    JSON.stringify({
      id,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: seconds(at),
      type,
      livemode: false,
      data: { object },
    });

  const checkoutCompleted = (sub: string, meta: object, at: Date) =>
    event(
      'checkout.session.completed',
      { id: `cs_${sub}`, object: 'checkout.session', mode: 'subscription', subscription: sub, metadata: meta },
      at,
    );

  const invoicePaid = (sub: string, meta: object, at: Date, periodEnd: Date, pay: { invoice: string; charge: string; amount?: number }) =>
    event(
      'invoice.paid',
      {
        id: pay.invoice,
        object: 'invoice',
        amount_paid: pay.amount ?? 499,
        currency: 'usd',
        parent: { type: 'subscription_details', subscription_details: { subscription: sub, metadata: meta } },
        lines: { data: [{ period: { start: seconds(at), end: seconds(periodEnd) }, metadata: meta }] },
        payments: { data: [{ payment: { type: 'payment_intent', payment_intent: `pi_${pay.charge}`, charge: pay.charge } }] },
      },
      at,
    );

  const chargeRefunded = (charge: string, at: Date) =>
    event('charge.refunded', { id: charge, object: 'charge', refunded: true, payment_intent: `pi_${charge}` }, at);

  const subscriptionDeleted = (sub: string, meta: object, at: Date) =>
    event('customer.subscription.deleted', { id: sub, object: 'subscription', status: 'canceled', metadata: meta }, at);

  /** Delivers `payload` as Stripe does, signed with `secret` at `timestamp` unless a header (null: none) is given. */
  const deliver = (payload: string, header: string | null = stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET })) =>
    call(webhook, {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'application/json', ...(header !== null ? { 'stripe-signature': header } : {}) },
    });

  const subscriptionsOf = async (token: string) =>
    (await call(`${api}/me/subscriptions`, { token })).body as {
      channel: { id: string };
      state: string;
      entitled: boolean;
      periodEnd: string | null;
    }[];
  const stateIn = (token: string, channelId: string, state: string) =>
    eventually(
      async () => (await subscriptionsOf(token)).find((s) => s.channel.id === channelId && s.state === state),
      30_000,
      `subscription ${state}`,
    );

  it('should let the broadcaster alone manage the tiers, and anyone read them', async () => {
    const { owner, channelId } = await channelSelling('tiers');
    const viewer = await signUpAndLogIn(api, 'tierview');
    const products = await call(`${api}/channels/${channelId}/subscriptions/products`);
    expect(products).toMatchObject({
      status: 200,
      body: [
        {
          tier: 1,
          name: 'Supporter',
          prices: [
            { currency: 'eur', amount: 459 },
            { currency: 'usd', amount: 499 },
          ],
          appleProductId: null,
          googleProductId: null,
        },
      ],
    });
    const tier2 = {
      tier: 2,
      name: 'Fan',
      prices: [{ currency: 'usd', amount: 999 }],
      appleProductId: `com.example.${channelId.slice(0, 8)}.t2`,
    };
    const refused = await call(`${api}/channels/${channelId}/subscriptions/products`, { method: 'POST', token: viewer.token, body: tier2 });
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 403, code: 'PAYM_NOT_BROADCASTER' });
    const bad = await call(`${api}/channels/${channelId}/subscriptions/products`, {
      method: 'POST',
      token: owner.token,
      body: {
        ...tier2,
        prices: [
          { currency: 'usd', amount: 999 },
          { currency: 'USD', amount: 5 },
        ],
      },
    });
    expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    expect(
      (await call(`${api}/channels/${channelId}/subscriptions/products`, { method: 'POST', token: owner.token, body: tier2 })).status,
    ).toBe(200);
    // A store product sells one tier of one channel.
    const other = await channelSelling('tiers2');
    const taken = await call(`${api}/channels/${other.channelId}/subscriptions/products`, {
      method: 'POST',
      token: other.owner.token,
      body: tier2,
    });
    expect({ status: taken.status, code: taken.body.code }).toEqual({ status: 409, code: 'PAYM_STORE_PRODUCT_TAKEN' });
    expect((await call(`${api}/channels/${channelId}/subscriptions/products`)).body.map((p: { tier: number }) => p.tier)).toEqual([1, 2]);
  }, 120_000);

  it('should make one Stripe Checkout Session per idempotency key, carrying who buys which tier', async () => {
    const { owner, channelId } = await channelSelling('checkout');
    const viewer = await signUpAndLogIn(api, 'buyer');
    const checkout = (key?: string, body: object = {}) =>
      call(`${api}/channels/${channelId}/subscriptions/checkout`, {
        method: 'POST',
        token: viewer.token,
        headers: key ? { 'idempotency-key': key } : {},
        body: {
          tier: 1,
          currency: 'usd',
          successUrl: 'https://app.example.test/thanks',
          cancelUrl: 'https://app.example.test/back',
          ...body,
        },
      });
    const before = fakeStripe.created.length;
    const first = await checkout('key-1');
    expect(first).toMatchObject({
      status: 200,
      body: { sessionId: expect.stringMatching(/^cs_test_/), url: expect.stringMatching(/^https:\/\//) },
    });
    const retried = await Promise.all([checkout('key-1'), checkout('key-1')]);
    expect(retried.map((r) => r.body)).toEqual([first.body, first.body]);
    const made = fakeStripe.created.slice(before);
    expect(made).toHaveLength(1);
    expect(made[0].authorization).toBe('Bearer sk_test_e2e');
    expect(made[0].idempotencyKey).toBe(`checkout:${viewer.id}:key-1`);
    expect(Object.fromEntries(made[0].params)).toMatchObject({
      mode: 'subscription',
      'line_items[0][price_data][currency]': 'usd',
      'line_items[0][price_data][unit_amount]': '499',
      'line_items[0][price_data][recurring][interval]': 'month',
      'metadata[userId]': viewer.id,
      'metadata[channelId]': channelId,
      'metadata[tier]': '1',
      'subscription_data[metadata][userId]': viewer.id,
    });
    const another = await checkout('key-2');
    expect(another.body.sessionId).not.toBe(first.body.sessionId);

    const notSold = await checkout('key-3', { currency: 'jpy' });
    expect({ status: notSold.status, code: notSold.body.code }).toEqual({ status: 404, code: 'PAYM_PRODUCT_NOT_FOUND' });
    const own = await call(`${api}/channels/${channelId}/subscriptions/checkout`, {
      method: 'POST',
      token: owner.token,
      body: { tier: 1, currency: 'usd', successUrl: 'https://app.example.test/thanks', cancelUrl: 'https://app.example.test/back' },
    });
    expect({ status: own.status, code: own.body.code }).toEqual({ status: 422, code: 'PAYM_OWN_CHANNEL' });
    const anonymous = await call(`${api}/channels/${channelId}/subscriptions/checkout`, {
      method: 'POST',
      body: { tier: 1, currency: 'usd', successUrl: 'https://a.test', cancelUrl: 'https://a.test' },
    });
    expect(anonymous.status).toBe(401);
  }, 120_000);

  it('should refuse every wrong notification with a problem, recording nothing', async () => {
    const { channelId } = await channelSelling('wrong');
    const viewer = await signUpAndLogIn(api, 'wrongview');
    const meta = subscriber(viewer.id, channelId);
    const now = new Date();
    const payload = checkoutCompleted('sub_wrong', meta, now);
    const inbox = () => count('SELECT count(*) AS n FROM paym.webhook_inbox');
    const recorded = await inbox();
    const refusals = [
      [await deliver(payload, null), 401, 'PAYM_WEBHOOK_SIGNATURE_INVALID'],
      [
        await deliver(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_not_ours_0123456789abcdef' })),
        401,
        'PAYM_WEBHOOK_SIGNATURE_INVALID',
      ],
      [
        await deliver(payload.replace('"sub_wrong"', '"sub_wronG"'), stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET })),
        401,
        'PAYM_WEBHOOK_SIGNATURE_INVALID',
      ],
      [
        await deliver(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: seconds(now) - 301 })),
        401,
        'PAYM_WEBHOOK_STALE',
      ],
      [await deliver(payload, 'garbage'), 401, 'PAYM_WEBHOOK_SIGNATURE_INVALID'],
      [await deliver(event('customer.created', { id: 'cus_1' }, now)), 422, 'PAYM_WEBHOOK_UNKNOWN_EVENT'],
      [await deliver(checkoutCompleted('sub_wrong', subscriber(viewer.id, channelId, 3), now)), 422, 'PAYM_WEBHOOK_UNKNOWN_EVENT'],
      [await deliver('{"not":"an event"'), 400, 'PAYM_WEBHOOK_MALFORMED'],
    ] as const;
    expect(refusals.map(([answer]) => [answer.status, answer.body.code])).toEqual(refusals.map(([, status, code]) => [status, code]));
    expect(await inbox()).toBe(recorded);
    expect((await call(`${platform.facade.url}/webhooks/v1/payments/paypal`, { method: 'POST', body: payload })).status).toBe(404);
    // During a rotation the older secret still signs.
    const rotated = await deliver(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: OLD_SECRET }));
    expect(rotated).toMatchObject({ status: 200, body: { duplicate: false } });
  }, 120_000);

  it('should make a paying viewer a subscriber whose messages a subscriber-only room takes, until a refund ends it', async () => {
    const { owner, channelId } = await channelSelling('subs');
    const viewer = await signUpAndLogIn(api, 'subviewer');
    const other = await signUpAndLogIn(api, 'nonsub');
    const meta = subscriber(viewer.id, channelId);
    const chat = `${api}/channels/${channelId}/chat`;
    await eventually(async () => (await call(`${chat}/settings`)).status === 200, 30_000);
    expect((await call(`${chat}/settings`, { method: 'PATCH', token: owner.token, body: { subscriberOnly: true } })).status).toBe(200);
    const send = (token: string, text: string) => call(`${chat}/messages`, { method: 'POST', token, body: { text } });
    const before = await send(viewer.token, 'let me in');
    expect({ status: before.status, code: before.body.code }).toEqual({ status: 403, code: 'CHAT_SUBSCRIBERS_ONLY' });

    const paidAt = new Date(Date.now() - 60_000);
    const periodEnd = new Date(paidAt.getTime() + 30 * 86_400_000);
    expect((await deliver(checkoutCompleted('sub_a', meta, paidAt))).status).toBe(200);
    const paid = invoicePaid('sub_a', meta, paidAt, periodEnd, { invoice: 'in_a1', charge: 'ch_a1' });
    // Stripe retries what it saw unanswered: the same event three times is recorded, and applied, once.
    const deliveries = [await deliver(paid), await deliver(paid), await deliver(paid)];
    expect(deliveries.map((d) => [d.status, d.body.duplicate])).toEqual([
      [200, false],
      [200, true],
      [200, true],
    ]);
    expect(new Set(deliveries.map((d) => d.body.id)).size).toBe(1);

    const active = await eventually(
      async () => (await subscriptionsOf(viewer.token)).find((s) => s.channel.id === channelId && s.periodEnd),
      30_000,
    );
    expect(active).toMatchObject({
      state: 'ACTIVE',
      entitled: true,
      tier: 1,
      store: 'STRIPE',
      periodEnd: periodEnd.toISOString().replace(/\.\d{3}Z$/, '.000Z'),
    });
    // Nobody else sees them.
    const me = await call(`${api}/me/subscriptions`, { token: other.token });
    expect(me).toMatchObject({ status: 200, body: [] });

    const spoken = await eventually(async () => {
      const answer = await send(viewer.token, 'subscribed!');
      return answer.status === 201 ? answer : undefined;
    }, 30_000);
    expect(spoken.body.badges).toEqual([]);
    const refused = await send(other.token, 'me too?');
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 403, code: 'CHAT_SUBSCRIBERS_ONLY' });
    expect(await count("SELECT count(*) AS n FROM paym.payment WHERE store_payment_id = 'in_a1'")).toBe(1);
    expect(
      await count("SELECT count(*) AS n FROM paym.outbox WHERE topic = 'paym.subscription.activated.v1' AND key = $1", channelId),
    ).toBe(1);

    // A refund ends it within seconds; a renewal older than the refund, delivered after it, changes nothing.
    const refundedAt = new Date(paidAt.getTime() + 30_000);
    expect((await deliver(chargeRefunded('ch_a1', refundedAt))).status).toBe(200);
    await stateIn(viewer.token, channelId, 'REFUNDED');
    await eventually(async () => {
      const answer = await send(viewer.token, 'still here?');
      return answer.status === 403 && answer.body.code === 'CHAT_SUBSCRIBERS_ONLY';
    }, 30_000);
    const late = invoicePaid('sub_a', meta, new Date(refundedAt.getTime() - 10_000), periodEnd, { invoice: 'in_a2', charge: 'ch_a2' });
    const lateReceipt = await deliver(late);
    expect(lateReceipt.status).toBe(200);
    await eventually(
      async () =>
        count(
          "SELECT count(*) AS n FROM paym.processed_event WHERE consumer_group = $1 AND event_id IN (SELECT id FROM paym.outbox WHERE payload->'data'->>'inboxId' = $2)",
          'paym-webhooks-wkr',
          lateReceipt.body.id,
        ),
      30_000,
    );
    expect((await subscriptionsOf(viewer.token)).find((s) => s.channel.id === channelId)).toMatchObject({
      state: 'REFUNDED',
      entitled: false,
    });
    expect(await count("SELECT count(*) AS n FROM paym.outbox WHERE topic = 'paym.subscription.ended.v1' AND key = $1", channelId)).toBe(1);
    // The refund reversed the payment in the ledger: the channel is owed nothing for it; the late renewal was paid.
    const owed = await db.query(
      "SELECT coalesce(sum(l.amount), 0)::int AS n FROM paym.ledger_entry l JOIN paym.payment p ON p.id = l.payment_id WHERE l.account = $1 AND p.store_payment_id = 'in_a1'",
      [`channel:${channelId}`],
    );
    expect(owed.rows[0].n).toBe(0);
    expect(await count("SELECT count(*) AS n FROM paym.fraud_signal WHERE user_id = $1 AND kind = 'refund'", viewer.id)).toBe(1);
  }, 120_000);

  it('should end where the store says, whatever order its notifications arrive in', async () => {
    const { channelId } = await channelSelling('order');
    const viewer = await signUpAndLogIn(api, 'orderview');
    const meta = subscriber(viewer.id, channelId);
    const t0 = new Date(Date.now() - 120_000);
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    // Cancelled at t0+60, delivered first; the purchase and payment of t0 arrive afterwards.
    expect((await deliver(subscriptionDeleted('sub_b', meta, at(60)))).status).toBe(200);
    expect((await deliver(invoicePaid('sub_b', meta, at(0), at(86_400), { invoice: 'in_b1', charge: 'ch_b1' }))).status).toBe(200);
    const last = await deliver(checkoutCompleted('sub_b', meta, at(0)));
    await eventually(
      async () =>
        count(
          "SELECT count(*) AS n FROM paym.processed_event WHERE consumer_group = $1 AND event_id IN (SELECT id FROM paym.outbox WHERE payload->'data'->>'inboxId' = $2)",
          'paym-webhooks-wkr',
          last.body.id,
        ),
      30_000,
    );
    expect((await subscriptionsOf(viewer.token)).find((s) => s.channel.id === channelId)).toMatchObject({
      state: 'EXPIRED',
      entitled: false,
    });
    // It never made them a subscriber; the payment is in the ledger all the same.
    expect(await count("SELECT count(*) AS n FROM paym.outbox WHERE topic LIKE 'paym.subscription.%' AND key = $1", channelId)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM paym.payment WHERE store_payment_id = 'in_b1'")).toBe(1);

    // A new purchase makes them a subscriber again; a late end of the old subscription does not end the new one.
    const meta2 = subscriber(viewer.id, channelId);
    expect((await deliver(invoicePaid('sub_c', meta2, at(100), at(100 + 86_400), { invoice: 'in_c1', charge: 'ch_c1' }))).status).toBe(200);
    await stateIn(viewer.token, channelId, 'ACTIVE');
    const stale = await deliver(subscriptionDeleted('sub_b', meta, at(110)));
    await eventually(
      async () =>
        count(
          "SELECT count(*) AS n FROM paym.processed_event WHERE consumer_group = $1 AND event_id IN (SELECT id FROM paym.outbox WHERE payload->'data'->>'inboxId' = $2)",
          'paym-webhooks-wkr',
          stale.body.id,
        ),
      30_000,
    );
    expect((await subscriptionsOf(viewer.token)).find((s) => s.channel.id === channelId)).toMatchObject({
      state: 'ACTIVE',
      entitled: true,
    });
  }, 120_000);

  it('should take App Store notifications whose chain leads to the configured root, once each, until a refund', async () => {
    const { owner, channelId } = await channelSelling('apple');
    const productId = `com.example.e2e.${randomBytes(4).toString('hex')}`;
    const tier = { tier: 1, name: 'Supporter', prices: [{ currency: 'usd', amount: 499 }], appleProductId: productId };
    expect(
      (await call(`${api}/channels/${channelId}/subscriptions/products`, { method: 'POST', token: owner.token, body: tier })).status,
    ).toBe(200);
    const viewer = await signUpAndLogIn(api, 'appleview');
    const t0 = new Date(Date.now() - 60_000);
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    const original = `2000${randomBytes(6).readUIntBE(0, 6)}`;
    const transaction = (id: string, expires: Date) => ({
      originalTransactionId: original,
      transactionId: id,
      productId,
      appAccountToken: viewer.id,
      expiresDate: expires.getTime(),
      price: 4990,
      currency: 'USD',
    });
    const deliverApple = (body: string) =>
      call(`${platform.facade.url}/webhooks/v1/payments/apple`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const subscribed = await appleNotification(apple, {
      type: 'SUBSCRIBED',
      subtype: 'INITIAL_BUY',
      bundleId: BUNDLE,
      at: at(0),
      transaction: transaction(`${original}1`, at(30 * 86_400)),
    });

    const inbox = () => count("SELECT count(*) AS n FROM paym.webhook_inbox WHERE store = 'apple'");
    const recorded = await inbox();
    const [head, body, signature] = JSON.parse(subscribed).signedPayload.split('.');
    const tampered = JSON.stringify({ signedPayload: [head, body, `${signature.slice(0, -4)}AAAA`].join('.') });
    const wrong = [
      [
        await deliverApple(
          await appleNotification(makeAppleAuthority('Other'), {
            type: 'SUBSCRIBED',
            bundleId: BUNDLE,
            at: at(0),
            transaction: transaction('t', at(9)),
          }),
        ),
        401,
      ],
      [
        await deliverApple(
          await appleNotification(apple, {
            type: 'SUBSCRIBED',
            bundleId: 'com.example.other',
            at: at(0),
            transaction: transaction('t', at(9)),
          }),
        ),
        401,
      ],
      [
        await deliverApple(
          await appleNotification(apple, {
            type: 'SUBSCRIBED',
            bundleId: BUNDLE,
            at: at(0),
            transaction: { ...transaction('t', at(9)), productId: 'com.example.unsold' },
          }),
        ),
        422,
      ],
      [await deliverApple(tampered), 401],
      [await deliverApple('{"signedPayload": 1}'), 400],
    ] as const;
    expect(wrong.map(([answer]) => answer.status)).toEqual(wrong.map(([, status]) => status));
    expect(await inbox()).toBe(recorded);

    const receipts = [await deliverApple(subscribed), await deliverApple(subscribed), await deliverApple(subscribed)];
    expect(receipts.map((r) => [r.status, r.body.duplicate])).toEqual([
      [200, false],
      [200, true],
      [200, true],
    ]);
    const active = await stateIn(viewer.token, channelId, 'ACTIVE');
    expect(active).toMatchObject({ store: 'APPLE', entitled: true, periodEnd: at(30 * 86_400).toISOString() });
    const badged = await eventually(async () => {
      const sent = await call(`${api}/channels/${channelId}/chat/messages`, {
        method: 'POST',
        token: viewer.token,
        body: { text: 'from my phone' },
      });
      return sent.status === 201 ? sent : undefined;
    }, 30_000);
    expect(badged.body.badges).toEqual([]);
    expect(
      await count(
        "SELECT count(*) AS n FROM paym.payment WHERE store = 'apple' AND store_payment_id = $1 AND amount = 499 AND currency = 'usd'",
        `${original}1`,
      ),
    ).toBe(1);

    const refund = await appleNotification(apple, {
      type: 'REFUND',
      bundleId: BUNDLE,
      at: at(30),
      transaction: transaction(`${original}1`, at(30 * 86_400)),
    });
    expect((await deliverApple(refund)).status).toBe(200);
    await stateIn(viewer.token, channelId, 'REFUNDED');
    const renewal = await appleNotification(apple, {
      type: 'DID_RENEW',
      bundleId: BUNDLE,
      at: at(20),
      transaction: transaction(`${original}2`, at(60 * 86_400)),
    });
    const late = await deliverApple(renewal);
    await eventually(
      async () =>
        count(
          "SELECT count(*) AS n FROM paym.processed_event WHERE consumer_group = $1 AND event_id IN (SELECT id FROM paym.outbox WHERE payload->'data'->>'inboxId' = $2)",
          'paym-webhooks-wkr',
          late.body.id,
        ),
      30_000,
    );
    expect((await subscriptionsOf(viewer.token)).find((s) => s.channel.id === channelId)).toMatchObject({
      state: 'REFUNDED',
      entitled: false,
    });
  }, 120_000);
  it('should take Google Play pushes whose token Google signed for our audience, asking Google Play what changed', async () => {
    const { owner, channelId } = await channelSelling('google');
    const productId = `e2e.tier1.${randomBytes(4).toString('hex')}`;
    const tier = { tier: 1, name: 'Supporter', prices: [{ currency: 'usd', amount: 499 }], googleProductId: productId };
    expect(
      (await call(`${api}/channels/${channelId}/subscriptions/products`, { method: 'POST', token: owner.token, body: tier })).status,
    ).toBe(200);
    const viewer = await signUpAndLogIn(api, 'googleview');
    const t0 = new Date(Date.now() - 60_000);
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    const purchaseToken = `gp-${randomBytes(24).toString('base64url')}`;
    const order = `GPA.${randomBytes(2).readUInt16BE()}-1111-2222-33333`;
    const purchase = (subscriptionState: string, orderId: string, expiry: Date) => ({
      subscriptionState,
      latestOrderId: orderId,
      externalAccountIdentifiers: { obfuscatedExternalAccountId: viewer.id },
      lineItems: [
        {
          productId,
          expiryTime: expiry.toISOString(),
          latestSuccessfulOrderId: orderId,
          autoRenewingPlan: { recurringPrice: { currencyCode: 'USD', units: '4', nanos: 990_000_000 } },
        },
      ],
    });
    const token = (claims: Partial<Parameters<FakeGoogle['signPush']>[0]> = {}) =>
      google.signPush({ audience: PUSH_AUDIENCE, email: PUSHER, ...claims });
    /** Delivers `body` as Pub/Sub pushes it, with a fresh token unless an Authorization header (null: none) is given. */
    const deliverGoogle = async (body: string, header?: string | null) => {
      const authorization = header === undefined ? `Bearer ${await token()}` : header;
      return call(`${platform.facade.url}/webhooks/v1/payments/google`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...(authorization !== null ? { authorization } : {}) },
      });
    };
    const purchased = pushBody(subscriptionNotification(PACKAGE, at(0), 4, purchaseToken, productId));

    const inbox = () => count("SELECT count(*) AS n FROM paym.webhook_inbox WHERE store = 'google'");
    const recorded = await inbox();
    const hourAgo = new Date(Date.now() - 3_600_000);
    const wrong = [
      [await deliverGoogle(purchased, null), 401, 'PAYM_WEBHOOK_SIGNATURE_INVALID'],
      [await deliverGoogle(purchased, `Bearer ${await token({ key: google.forgeryKey })}`), 401, 'PAYM_WEBHOOK_SIGNATURE_INVALID'],
      [
        await deliverGoogle(purchased, `Bearer ${await token({ issuedAt: new Date(hourAgo.getTime() - 600_000), expiresAt: hourAgo })}`),
        401,
        'PAYM_WEBHOOK_STALE',
      ],
      [
        await deliverGoogle(purchased, `Bearer ${await token({ audience: 'https://elsewhere.example.test' })}`),
        401,
        'PAYM_WEBHOOK_SIGNATURE_INVALID',
      ],
      [
        await deliverGoogle(purchased, `Bearer ${await token({ email: 'intruder@e2e-project.iam.gserviceaccount.com' })}`),
        401,
        'PAYM_WEBHOOK_SIGNATURE_INVALID',
      ],
      [
        await deliverGoogle(pushBody(subscriptionNotification('com.example.other', at(0), 4, purchaseToken, productId))),
        401,
        'PAYM_WEBHOOK_SIGNATURE_INVALID',
      ],
      [
        await deliverGoogle(pushBody(subscriptionNotification(PACKAGE, at(0), 4, purchaseToken, 'e2e.unsold'))),
        422,
        'PAYM_WEBHOOK_UNKNOWN_EVENT',
      ],
      [await deliverGoogle('{"message": {"data": "!!", "messageId": "1"}}'), 400, 'PAYM_WEBHOOK_MALFORMED'],
    ] as const;
    expect(wrong.map(([answer]) => [answer.status, answer.body.code])).toEqual(wrong.map(([, status, code]) => [status, code]));
    expect(await inbox()).toBe(recorded);
    expect(google.calls.filter((c) => c.token === purchaseToken)).toEqual([]);

    // Pub/Sub redelivers a push it saw unanswered with the same message id: recorded, and applied, once.
    google.purchases.set(purchaseToken, purchase('SUBSCRIPTION_STATE_ACTIVE', order, at(30 * 86_400)));
    const receipts = [await deliverGoogle(purchased), await deliverGoogle(purchased), await deliverGoogle(purchased)];
    expect(receipts.map((r) => [r.status, r.body.duplicate])).toEqual([
      [200, false],
      [200, true],
      [200, true],
    ]);
    const active = await stateIn(viewer.token, channelId, 'ACTIVE');
    expect(active).toMatchObject({ store: 'GOOGLE', entitled: true, periodEnd: at(30 * 86_400).toISOString() });
    expect(google.calls.filter((c) => c.token === purchaseToken).every((c) => c.authorized)).toBe(true);
    const spoken = await eventually(async () => {
      const sent = await call(`${api}/channels/${channelId}/chat/messages`, {
        method: 'POST',
        token: viewer.token,
        body: { text: 'from Android' },
      });
      return sent.status === 201 ? sent : undefined;
    }, 30_000);
    expect(spoken.status).toBe(201);
    expect(
      await count(
        "SELECT count(*) AS n FROM paym.payment WHERE store = 'google' AND store_payment_id = $1 AND amount = 499 AND currency = 'usd'",
        order,
      ),
    ).toBe(1);

    // The order is refunded: Google Play voids it and the subscription ends; a renewal older than that changes nothing.
    expect((await deliverGoogle(pushBody(voidedNotification(PACKAGE, at(30), purchaseToken, order)))).status).toBe(200);
    await stateIn(viewer.token, channelId, 'REFUNDED');
    google.purchases.set(purchaseToken, purchase('SUBSCRIPTION_STATE_ACTIVE', `${order}..0`, at(60 * 86_400)));
    const late = await deliverGoogle(pushBody(subscriptionNotification(PACKAGE, at(20), 2, purchaseToken, productId)));
    await eventually(
      async () =>
        count(
          "SELECT count(*) AS n FROM paym.processed_event WHERE consumer_group = $1 AND event_id IN (SELECT id FROM paym.outbox WHERE payload->'data'->>'inboxId' = $2)",
          'paym-webhooks-wkr',
          late.body.id,
        ),
      30_000,
    );
    expect((await subscriptionsOf(viewer.token)).find((s) => s.channel.id === channelId)).toMatchObject({
      state: 'REFUNDED',
      entitled: false,
    });
    expect(
      await count("SELECT count(*) AS n FROM paym.fraud_signal WHERE user_id = $1 AND kind = 'refund' AND store = 'google'", viewer.id),
    ).toBe(1);
  }, 120_000);

  it('should pay a broadcaster to the Stripe Connect account they name, and show the payout to them and to finance staff only', async () => {
    const { owner, channelId } = await channelSelling('payee');
    const stranger = await signUpAndLogIn(api, 'nosy');
    const accountUrl = `${api}/channels/${channelId}/payout-account`;
    const payoutsUrl = `${api}/channels/${channelId}/payouts`;
    const account = `acct_${randomBytes(8).toString('hex')}`;

    // Only the broadcaster names the account, and only a Stripe Connect account id.
    expect((await call(accountUrl, { method: 'PUT', token: stranger.token, body: { stripeAccountId: 'acct_thief' } })).status).toBe(403);
    expect((await call(accountUrl, { method: 'PUT', body: { stripeAccountId: 'acct_thief' } })).status).toBe(401);
    expect((await call(accountUrl, { method: 'PUT', token: owner.token, body: { stripeAccountId: 'ba_123' } })).status).toBe(400);
    const named = await call(accountUrl, { method: 'PUT', token: owner.token, body: { stripeAccountId: account } });
    expect(named.status).toBe(200);
    expect(named.body).toEqual({ channelId, stripeAccountId: account, updatedAt: expect.any(String) });

    // A subscription paid through Stripe leaves the channel its share; the transfers worker pays it out.
    const viewer = await signUpAndLogIn(api, 'patron');
    const sub = `sub_${randomBytes(8).toString('hex')}`;
    const at = new Date();
    const delivered = await deliver(checkoutCompleted(sub, subscriber(viewer.id, channelId), at));
    expect(delivered.status).toBe(200);
    const pay = { invoice: `in_${sub}`, charge: `ch_${sub}`, amount: 10_000 };
    const paid = await deliver(invoicePaid(sub, subscriber(viewer.id, channelId), at, new Date(at.getTime() + 30 * 86_400_000), pay));
    expect(paid.status).toBe(200);
    await eventually(
      async () => (await count('SELECT count(*) AS n FROM paym.ledger_entry WHERE account = $1', `channel:${channelId}`)) > 0 || undefined,
      30_000,
    );
    const paymDb = connectPaymDb(platform.databaseUrl, 2);
    try {
      await new TransfersService(paymDb.prisma, stripeClient('sk_test_e2e', fakeStripe.url), 1).run();
    } finally {
      await paymDb.close();
    }

    const page = await call(payoutsUrl, { token: owner.token });
    expect(page.status).toBe(200);
    expect(page.body).toEqual({
      data: [
        expect.objectContaining({ channel: { id: channelId }, state: 'PAID', stripeAccountId: account, currency: 'usd', failure: null }),
      ],
      total: 1,
      pagination: {},
    });
    const [payout] = page.body.data;
    expect(fakeStripe.transfers.filter((t) => t.idempotencyKey === `payout:${payout.id}`)).toHaveLength(1);
    expect(payout.amount).toBe(
      await count('SELECT sum(amount)::int AS n FROM paym.ledger_entry WHERE account = $1 AND amount > 0', `channel:${channelId}`),
    );
    expect((await call(payoutsUrl, { token: stranger.token })).status).toBe(403);
    expect((await call(payoutsUrl)).status).toBe(401);
    expect((await call(`${payoutsUrl}?after=not-a-cursor`, { token: owner.token })).status).toBe(400);

    // Finance staff see every channel's payouts in the Admin API.
    const admin = `${platform.facade.url}/admin/v1`;
    const boss = await signUpAndLogIn(api, 'finboss');
    const secret = (await bootstrapFirstAdmin(platform.databaseUrl, boss.login)).totpSecret;
    const staff = await call(`${admin}/sessions`, {
      method: 'POST',
      body: { login: boss.login, password: boss.password, totpCode: totpCode(secret) },
    });
    expect(staff.status).toBe(201);
    const listed = await call(`${admin}/payouts?channelId=${channelId}&state=PAID`, { token: staff.body.accessToken });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ data: [payout], total: 1, pagination: {} });
    expect((await call(`${admin}/payouts?state=FAILED&channelId=${channelId}`, { token: staff.body.accessToken })).body.total).toBe(0);
    expect((await call(`${admin}/payouts`, { token: owner.token })).status).toBe(401);
    // Trust and safety's list of flagged buyers; both reads are in the audit log, recorded before they ran.
    expect((await call(`${admin}/payments/flags`, { token: staff.body.accessToken })).status).toBe(200);
    const audit = await call(`${admin}/audit-log?actorId=${boss.id}`, { token: staff.body.accessToken });
    expect(audit.body.data.map((r: { action: string; targetId: string }) => [r.action, r.targetId])).toEqual(
      expect.arrayContaining([
        ['payments.payouts_listed', 'ListPayouts'],
        ['payments.flags_listed', 'ListPaymentFlags'],
      ]),
    );
  }, 120_000);
});
