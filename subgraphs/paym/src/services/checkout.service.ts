import type Stripe from 'stripe';
import { actingUser } from '../../../../kernel/access';
import { DomainError, type FieldProblem } from '../../../../kernel/errors';
import type { Identity } from '../../../../kernel/identity';
import { isUuid } from '../../../../kernel/ids';
import type { PrismaClient } from '../data/db';
import type { ProductsService } from './products.service';

export interface CheckoutInput {
  tier: number;
  currency: string;
  successUrl: string;
  cancelUrl: string;
}

export interface CheckoutView {
  sessionId: string;
  url: string;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** A URL Stripe may send a buyer back to: https, or http to this machine while developing. */
function returnUrlProblem(value: string, field: string): FieldProblem[] {
  try {
    const url = new URL(value);
    const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
    if (value.length <= 2000 && (url.protocol === 'https:' || (url.protocol === 'http:' && local))) return [];
  } catch {}
  return [{ field, message: 'an https URL (http on localhost) of at most 2000 characters' }];
}

/**
 * Web checkout: a Stripe Checkout Session in subscription mode for one tier of a channel, carrying who buys what in
 * its metadata and the subscription's, which Stripe's webhooks bring back. A retried request with the same
 * Idempotency-Key gets the session the first one made: it is kept per buyer and key, and Stripe is called with a
 * key derived from them, so two concurrent retries make one session too.
 */
export class CheckoutService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly products: ProductsService,
    private readonly stripe: Stripe | undefined,
  ) {}

  async create(identity: Identity, channelId: string, input: CheckoutInput, idempotencyKey?: string | null): Promise<CheckoutView> {
    const buyerId = actingUser(identity);
    if (idempotencyKey != null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new DomainError('VALIDATION_FAILED', 'the idempotency key is invalid', {
        fields: [{ field: 'Idempotency-Key', message: '1–200 printable ASCII characters' }],
      });
    }
    if (idempotencyKey) {
      const earlier = await this.prisma.checkout.findUnique({ where: { buyerId_idempotencyKey: { buyerId, idempotencyKey } } });
      if (earlier) return { sessionId: earlier.stripeSessionId, url: earlier.url };
    }
    const problems = [...returnUrlProblem(input.successUrl, 'successUrl'), ...returnUrlProblem(input.cancelUrl, 'cancelUrl')];
    if (problems.length) throw new DomainError('VALIDATION_FAILED', 'the checkout is invalid', { fields: problems });

    const owner = isUuid(channelId) ? await this.prisma.channelOwner.findUnique({ where: { channelId } }) : null;
    if (!owner) throw new DomainError('PAYM_CHANNEL_NOT_FOUND', 'no such channel');
    if (owner.ownerId === buyerId) throw new DomainError('PAYM_OWN_CHANNEL', 'a broadcaster cannot subscribe to their own channel');
    const currency = input.currency.toLowerCase();
    const product = await this.products.find(channelId, input.tier);
    const price = product?.prices.find((p) => p.currency === currency);
    if (!product || !price)
      throw new DomainError('PAYM_PRODUCT_NOT_FOUND', `the channel sells no tier ${input.tier} in ${currency.slice(0, 3)}`);
    const current = await this.prisma.entitlement.findUnique({ where: { userId_channelId: { userId: buyerId, channelId } } });
    if (current && (current.state === 'active' || current.state === 'grace')) {
      throw new DomainError('PAYM_ALREADY_SUBSCRIBED', 'you are already subscribed to this channel');
    }
    if (!this.stripe) throw new DomainError('PAYM_STORE_UNAVAILABLE', 'web checkout is not configured here');

    const metadata = { userId: buyerId, channelId, tier: String(product.tier) };
    let session: Stripe.Checkout.Session;
    try {
      session = await this.stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          client_reference_id: buyerId,
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency,
                unit_amount: price.amount,
                recurring: { interval: 'month' },
                product_data: { name: product.name, metadata: { productId: product.id } },
              },
            },
          ],
          metadata,
          subscription_data: { metadata },
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
        },
        idempotencyKey ? { idempotencyKey: `checkout:${buyerId}:${idempotencyKey}` } : undefined,
      );
    } catch (error) {
      throw new DomainError(
        'PAYM_STORE_UNAVAILABLE',
        `Stripe did not make the checkout session: ${(error as Error).message.slice(0, 200)}`,
      );
    }
    if (!session.url) throw new DomainError('PAYM_STORE_UNAVAILABLE', 'Stripe made a checkout session without a URL');
    if (!idempotencyKey) return { sessionId: session.id, url: session.url };
    await this.prisma.checkout.createMany({
      data: [{ buyerId, idempotencyKey, channelId, tier: product.tier, currency, stripeSessionId: session.id, url: session.url }],
      skipDuplicates: true,
    });
    const kept = await this.prisma.checkout.findUniqueOrThrow({ where: { buyerId_idempotencyKey: { buyerId, idempotencyKey } } });
    return { sessionId: kept.stripeSessionId, url: kept.url };
  }
}
