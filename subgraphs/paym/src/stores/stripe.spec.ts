import Stripe from 'stripe';
import type { NotificationRejected } from './port';
import { StripeNotifications } from './stripe';

const SECRET = 'whsec_unit_0123456789abcdef0123456789';
const signer = new Stripe('sk_test_unit', { telemetry: false });
const userId = '7d1d7b2e-4a53-4a8a-9a86-1f6f0b0f0a01';
const channelId = '0b8e3c4e-5c1d-4d8e-8a3c-2f0e1d2c3b4a';

const event = (type: string, object: object, created = Math.floor(Date.now() / 1000)) =>
  JSON.stringify({ id: 'evt_unit_1', object: 'event', created, type, data: { object } });

const verify = (payload: string, options: { secret?: string; timestamp?: number; secrets?: string[] } = {}) =>
  new StripeNotifications(options.secrets ?? [SECRET], 300).verify(Buffer.from(payload), {
    signature: signer.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? SECRET, timestamp: options.timestamp }),
  });

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: NotificationRejected) => error.reason,
  );

describe('StripeNotifications', () => {
  it('should read an invoice paid (API 2026) as a payment for its subscription, its period and its payment ids', async () => {
    const metadata = { userId, channelId, tier: '2' };
    const payload = event('invoice.paid', {
      id: 'in_1',
      amount_paid: 999,
      currency: 'usd',
      parent: { subscription_details: { subscription: 'sub_1', metadata } },
      lines: { data: [{ period: { end: 1_800_000_000 } }, { period: { end: 1_800_000_100 } }] },
      payments: { data: [{ payment: { payment_intent: 'pi_1', charge: 'ch_1' } }] },
    });
    const read = await verify(payload);
    expect(read).toMatchObject({ store: 'stripe', eventId: 'evt_unit_1', eventType: 'invoice.paid' });
    expect(read.notice).toEqual({
      kind: 'paid',
      subscriptionRef: 'sub_1',
      subscriber: { userId, channelId, tier: 2 },
      periodEnd: new Date(1_800_000_100_000),
      payment: { id: 'in_1', aliases: ['pi_1', 'ch_1'], amount: 999, currency: 'usd' },
    });
  });

  it('should map subscription statuses and refunds onto the entitlement states', async () => {
    const updated = await verify(
      event('customer.subscription.updated', { id: 'sub_1', status: 'past_due', items: { data: [{ current_period_end: 1_800_000_000 }] } }),
    );
    expect(updated.notice).toMatchObject({
      kind: 'state',
      state: 'grace',
      subscriptionRef: 'sub_1',
      periodEnd: new Date(1_800_000_000_000),
    });
    const partial = await verify(event('charge.refunded', { id: 'ch_1', refunded: false }));
    expect(partial.notice).toEqual({ kind: 'ignored' });
    const full = await verify(event('charge.refunded', { id: 'ch_1', refunded: true, payment_intent: 'pi_1' }));
    expect(full.notice).toEqual({ kind: 'refunded', paymentRefs: ['ch_1', 'pi_1'] });
  });

  it('should accept any of the secrets of a rotation and refuse a wrong, stale or absent signature', async () => {
    const payload = event('charge.dispute.created', { id: 'dp_1', charge: 'ch_1' });
    expect((await verify(payload, { secrets: ['whsec_old_0123456789abcdef', SECRET] })).notice).toEqual({
      kind: 'disputed',
      paymentRefs: ['ch_1'],
    });
    expect(await rejection(verify(payload, { secret: 'whsec_other_0123456789abcdef' }))).toBe('signature');
    expect(await rejection(verify(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 }))).toBe('stale');
    expect(await rejection(new StripeNotifications([SECRET], 300).verify(Buffer.from(payload), {}))).toBe('signature');
    expect(await rejection(verify(event('payout.paid', { id: 'po_1' })))).toBe('unknown-event');
  });
});
