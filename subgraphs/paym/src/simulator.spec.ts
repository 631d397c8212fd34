import { randomUUID } from 'node:crypto';
import { AppleNotifications } from './stores/apple';
import { StripeNotifications } from './stores/stripe';
import { makeSimulatorKeys, type SimulatedPurchase, simulatedNotifications, simulatorEnv, subscriptionRef } from './simulator';

/** What the simulator sends is what the payment domain accepts: verified by each store's own library. */
describe('payments simulator', () => {
  const keys = makeSimulatorKeys();
  const bundleId = 'com.example.streaming';
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
    const sent = await simulatedNotifications('stripe', 'subscribed', purchase, keys, { appleBundleId: bundleId });
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
    const [refund] = await simulatedNotifications('stripe', 'refunded', { ...purchase, lastPaymentId: paymentId.id }, keys, {
      appleBundleId: bundleId,
    });
    const refunded = await stripe.verify(Buffer.from(refund.body), { signature: refund.headers['stripe-signature'] });
    expect(refunded.notice).toMatchObject({ kind: 'refunded' });
    expect(paymentId.aliases).toEqual(expect.arrayContaining((refunded.notice as { paymentRefs: string[] }).paymentRefs.slice(0, 1)));
    // Signed with another secret, it is refused.
    const other = makeSimulatorKeys();
    const [forged] = await simulatedNotifications('stripe', 'renewed', purchase, other, { appleBundleId: bundleId });
    await expect(stripe.verify(Buffer.from(forged.body), { signature: forged.headers['stripe-signature'] })).rejects.toMatchObject({
      reason: 'signature',
    });
  });

  it('should sign App Store notifications that Apple’s library verifies against the configured root', async () => {
    const [subscribed] = await simulatedNotifications('apple', 'subscribed', purchase, keys, { appleBundleId: bundleId });
    const read = await apple.verify(Buffer.from(subscribed.body));
    expect(read.notice).toMatchObject({
      kind: 'paid',
      subscriptionRef: subscriptionRef('apple', purchase.userId, purchase.channelId),
      subscriber: { userId: purchase.userId, channelId: purchase.channelId, tier: 1 },
      payment: { amount: 499, currency: 'usd' },
    });
    const lastPaymentId = (read.notice as { payment: { id: string } }).payment.id;
    const [refund] = await simulatedNotifications('apple', 'refunded', { ...purchase, lastPaymentId }, keys, { appleBundleId: bundleId });
    expect((await apple.verify(Buffer.from(refund.body))).notice).toMatchObject({ kind: 'refunded', paymentRefs: [lastPaymentId] });
    // Another authority's chain leads to no configured root.
    const [foreign] = await simulatedNotifications('apple', 'renewed', purchase, makeSimulatorKeys(), { appleBundleId: bundleId });
    await expect(apple.verify(Buffer.from(foreign.body))).rejects.toMatchObject({ reason: 'signature' });
  });

  it('should configure the platform with its keys unless the operator gave App Store roots', () => {
    expect(simulatorEnv(keys, {})).toEqual({
      PAYM_STRIPE_WEBHOOK_SECRET: keys.stripeWebhookSecret,
      PAYM_APPLE_ROOT_CERTS: keys.apple.chain[2],
      PAYM_APPLE_ENVIRONMENT: 'Sandbox',
    });
    expect(simulatorEnv(keys, { PAYM_APPLE_ROOT_CERTS: 'theirs', PAYM_STRIPE_WEBHOOK_SECRET: 'whsec_theirs' })).toEqual({
      PAYM_STRIPE_WEBHOOK_SECRET: 'whsec_theirs',
    });
  });
});
