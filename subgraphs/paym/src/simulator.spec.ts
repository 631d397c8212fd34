import { randomUUID } from 'node:crypto';
import { AppleNotifications } from './stores/apple';
import { GoogleNotifications, GooglePlayPurchases } from './stores/google';
import { StripeNotifications } from './stores/stripe';
import {
  makeSimulatorKeys,
  type SimulatedPurchase,
  simulatedNotifications,
  simulatorEnv,
  startLocalGooglePlay,
  subscriptionRef,
} from './simulator';

/** What the simulator sends is what the payment domain accepts: verified by each store's own library. */
describe('payments simulator', () => {
  const keys = makeSimulatorKeys();
  // Another simulator's keys: what it signs, this platform refuses.
  const other = makeSimulatorKeys();
  const bundleId = 'com.example.streaming';
  const options = { appleBundleId: bundleId, googlePackageName: bundleId };
  const purchase: SimulatedPurchase = {
    userId: randomUUID(),
    channelId: randomUUID(),
    tier: 1,
    productId: 'sim.tier1',
    periodEnd: new Date(Date.now() + 30 * 86_400_000),
  };
  const stripe = new StripeNotifications([keys.stripeWebhookSecret], 300);
  const apple = new AppleNotifications(
    { roots: [Buffer.from(keys.apple.chain[2], 'base64')], bundleId, environment: 'Sandbox' },
    async (id) => (id === 'sim.tier1' ? { channelId: purchase.channelId, tier: 1 } : null),
  );

  it('should sign Stripe events that Stripe’s library verifies, for one subscription', async () => {
    const sent = await simulatedNotifications('stripe', 'subscribed', purchase, keys, options);
    expect(sent.map((n) => n.type)).toEqual(['checkout.session.completed', 'invoice.paid']);
    const read = await Promise.all(sent.map((n) => stripe.verify(Buffer.from(n.body), { signature: n.headers['stripe-signature'] })));
    const ref = subscriptionRef('stripe', purchase.userId, purchase.channelId);
    expect(read.map((r) => r.notice)).toEqual([
      expect.objectContaining({
        kind: 'purchased',
        subscriptionRef: ref,
        subscriber: { userId: purchase.userId, channelId: purchase.channelId, tier: 1 },
      }),
      expect.objectContaining({
        kind: 'paid',
        subscriptionRef: ref,
        periodEnd: new Date(Math.floor(purchase.periodEnd.getTime() / 1000) * 1000),
      }),
    ]);
    const paymentId = (read[1].notice as { payment: { id: string; aliases: string[] } }).payment;
    const [refund] = await simulatedNotifications('stripe', 'refunded', { ...purchase, lastPaymentId: paymentId.id }, keys, options);
    const refunded = await stripe.verify(Buffer.from(refund.body), { signature: refund.headers['stripe-signature'] });
    expect(refunded.notice).toMatchObject({ kind: 'refunded' });
    expect(paymentId.aliases).toEqual(expect.arrayContaining((refunded.notice as { paymentRefs: string[] }).paymentRefs.slice(0, 1)));
    // Signed with another secret, it is refused.
    const [forged] = await simulatedNotifications('stripe', 'renewed', purchase, other, options);
    await expect(stripe.verify(Buffer.from(forged.body), { signature: forged.headers['stripe-signature'] })).rejects.toMatchObject({
      reason: 'signature',
    });
  });

  it('should sign App Store notifications that Apple’s library verifies against the configured root', async () => {
    const [subscribed] = await simulatedNotifications('apple', 'subscribed', purchase, keys, options);
    const read = await apple.verify(Buffer.from(subscribed.body));
    expect(read.notice).toMatchObject({
      kind: 'paid',
      subscriptionRef: subscriptionRef('apple', purchase.userId, purchase.channelId),
      subscriber: { userId: purchase.userId, channelId: purchase.channelId, tier: 1 },
      payment: { amount: 499, currency: 'usd' },
    });
    const lastPaymentId = (read.notice as { payment: { id: string } }).payment.id;
    const [refund] = await simulatedNotifications('apple', 'refunded', { ...purchase, lastPaymentId }, keys, options);
    expect((await apple.verify(Buffer.from(refund.body))).notice).toMatchObject({ kind: 'refunded', paymentRefs: [lastPaymentId] });
    // Another authority's chain leads to no configured root.
    const [foreign] = await simulatedNotifications('apple', 'renewed', purchase, other, options);
    await expect(apple.verify(Buffer.from(foreign.body))).rejects.toMatchObject({ reason: 'signature' });
  });

  it('should sign Google Play pushes that Google’s library verifies, the purchase answered by the local Google Play', async () => {
    const google = await startLocalGooglePlay(keys.google);
    try {
      const env = simulatorEnv(keys, {}, google.url);
      const product = async (id: string) => (id === 'sim.tier1' ? { channelId: purchase.channelId, tier: 1 } : null);
      const pushes = new GoogleNotifications(
        {
          audience: env.PAYM_GOOGLE_PUSH_AUDIENCE as string,
          serviceAccount: env.PAYM_GOOGLE_PUSH_SERVICE_ACCOUNT as string,
          certsUrl: env.PAYM_GOOGLE_CERTS_URL as string,
          packageName: bundleId,
        },
        product,
      );
      const play = new GooglePlayPurchases(
        { baseUrl: google.url, packageName: bundleId, serviceAccount: JSON.parse(env.PAYM_GOOGLE_SERVICE_ACCOUNT_KEY as string) },
        product,
      );
      const [subscribed] = await simulatedNotifications('google', 'subscribed', purchase, keys, options);
      const { token, body } = subscribed.purchase as { token: string; body: object };
      expect((await fetch(`${google.url}/simulator/purchases/${token}`, { method: 'PUT', body: JSON.stringify(body) })).status).toBe(204);
      const read = await pushes.verify(Buffer.from(subscribed.body), { authorization: subscribed.headers.authorization });
      expect(read.notice).toMatchObject({ kind: 'changed', subscriptionRef: token });
      const now = await play.current(read.notice as never);
      expect(now).toMatchObject({
        kind: 'paid',
        subscriber: { userId: purchase.userId, channelId: purchase.channelId, tier: 1 },
        payment: { amount: 499, currency: 'usd' },
      });
      const lastPaymentId = (now as { payment: { id: string } }).payment.id;
      const [refund] = await simulatedNotifications('google', 'refunded', { ...purchase, lastPaymentId }, keys, options);
      const refunded = await pushes.verify(Buffer.from(refund.body), { authorization: refund.headers.authorization });
      expect(refunded.notice).toMatchObject({ kind: 'refunded', paymentRefs: [lastPaymentId], subscriptionRef: token });
      // Another simulator's key is not the one the local Google publishes.
      const [forged] = await simulatedNotifications('google', 'renewed', purchase, other, options);
      await expect(pushes.verify(Buffer.from(forged.body), { authorization: forged.headers.authorization })).rejects.toMatchObject({
        reason: 'signature',
      });
    } finally {
      await google.stop();
    }
  });

  it('should configure the platform with its keys, store by store, unless the operator gave their own', () => {
    const env = simulatorEnv(keys, {}, 'http://127.0.0.1:1');
    expect(env).toMatchObject({
      PAYM_STRIPE_WEBHOOK_SECRET: keys.stripeWebhookSecret,
      PAYM_APPLE_ROOT_CERTS: keys.apple.chain[2],
      PAYM_APPLE_ENVIRONMENT: 'Sandbox',
      PAYM_GOOGLE_PUSH_AUDIENCE: keys.google.audience,
      PAYM_GOOGLE_CERTS_URL: 'http://127.0.0.1:1/oauth2/v1/certs',
      PAYM_GOOGLE_API_BASE_URL: 'http://127.0.0.1:1',
    });
    const theirs = { PAYM_APPLE_ROOT_CERTS: 'theirs', PAYM_STRIPE_WEBHOOK_SECRET: 'whsec_theirs', PAYM_GOOGLE_PUSH_AUDIENCE: 'theirs' };
    expect(simulatorEnv(keys, theirs, 'http://127.0.0.1:1')).toEqual({ PAYM_STRIPE_WEBHOOK_SECRET: 'whsec_theirs' });
  });
});
