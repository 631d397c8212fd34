import { actingUser } from '../../../../kernel/access';
import { oncePerEventSql } from '../../../../kernel/bus/once';
import { DomainError, type FieldProblem } from '../../../../kernel/errors';
import type { EventOf } from '../../../../kernel/events';
import type { Identity } from '../../../../kernel/identity';
import { isUuid } from '../../../../kernel/ids';
import { textProblems } from '../../../../kernel/text';
import { Prisma, type PrismaClient } from '../data/prisma/client';

export interface ChannelRef {
  id: string;
}

export interface PriceView {
  currency: string;
  amount: number;
}

export interface ProductView {
  id: string;
  channelId: string;
  tier: number;
  name: string;
  prices: PriceView[];
  appleProductId: string | null;
  googleProductId: string | null;
}

export interface ProductInput {
  tier: number;
  name: string;
  prices: { currency: string; amount: number }[];
  appleProductId?: string | null;
  googleProductId?: string | null;
}

export const TIERS = [1, 2, 3] as const;
const CURRENCY = /^[a-z]{3}$/;
// Stripe's own bounds for a price in minor units: 50 cents is its smallest charge.
const MIN_AMOUNT = 50;
const MAX_AMOUNT = 100_000_000;
const STORE_PRODUCT_ID = /^[A-Za-z0-9._-]{1,100}$/;

const withPrices = { prices: { orderBy: { currency: 'asc' } } } as const;
type ProductRow = Prisma.ProductGetPayload<{ include: typeof withPrices }>;

const view = (row: ProductRow): ProductView => ({
  id: row.id,
  channelId: row.channelId,
  tier: row.tier,
  name: row.name,
  prices: row.prices.map((p) => ({ currency: p.currency, amount: p.amount })),
  appleProductId: row.appleProductId,
  googleProductId: row.googleProductId,
});

function problemsOf(input: ProductInput): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!TIERS.includes(input.tier as 1)) problems.push({ field: 'tier', message: 'is 1, 2 or 3' });
  const name = input.name.trim();
  if (name.length < 1 || name.length > 60) problems.push({ field: 'name', message: '1–60 characters' });
  problems.push(...textProblems(input.name, 'name'));
  if (input.prices.length < 1 || input.prices.length > 20) problems.push({ field: 'prices', message: '1 to 20 prices' });
  const currencies = new Set<string>();
  for (const [i, price] of input.prices.entries()) {
    const currency = price.currency.toLowerCase();
    if (!CURRENCY.test(currency)) problems.push({ field: `prices.${i}.currency`, message: 'an ISO 4217 code' });
    if (currencies.has(currency)) problems.push({ field: `prices.${i}.currency`, message: 'one price per currency' });
    currencies.add(currency);
    if (price.amount < MIN_AMOUNT || price.amount > MAX_AMOUNT) {
      problems.push({ field: `prices.${i}.amount`, message: `${MIN_AMOUNT} to ${MAX_AMOUNT} minor units` });
    }
  }
  for (const field of ['appleProductId', 'googleProductId'] as const) {
    const id = input[field];
    if (id != null && !STORE_PRODUCT_ID.test(id)) problems.push({ field, message: '1–100 letters, digits or ._-' });
  }
  return problems;
}

/** Each channel's subscription tiers, their prices, and the store products that sell them. */
export class ProductsService {
  constructor(private readonly prisma: PrismaClient) {}

  /** The tiers of each channel, tier 1 first, in the order of `channelIds` (one query for many channels). */
  async forChannels(channelIds: readonly string[]): Promise<ProductView[][]> {
    const rows = await this.prisma.product.findMany({
      where: { channelId: { in: channelIds.filter(isUuid) } },
      include: withPrices,
      orderBy: { tier: 'asc' },
    });
    return channelIds.map((id) => rows.filter((row) => row.channelId === id).map(view));
  }

  async find(channelId: string, tier: number): Promise<ProductView | null> {
    const row = await this.prisma.product.findUnique({ where: { channelId_tier: { channelId, tier } }, include: withPrices });
    return row && view(row);
  }

  /** The product a store sells under `storeProductId`. */
  async byStoreProduct(store: 'apple' | 'google', storeProductId: string): Promise<ProductView | null> {
    const row = await this.prisma.product.findFirst({
      where: store === 'apple' ? { appleProductId: storeProductId } : { googleProductId: storeProductId },
      include: withPrices,
    });
    return row && view(row);
  }

  /** The broadcaster creates or replaces one tier; its prices are replaced as a whole. */
  async save(identity: Identity, channelId: string, input: ProductInput): Promise<ProductView> {
    const userId = actingUser(identity);
    const channel = isUuid(channelId) ? await this.prisma.channelOwner.findUnique({ where: { channelId } }) : null;
    if (!channel) throw new DomainError('PAYM_CHANNEL_NOT_FOUND', 'no such channel');
    if (channel.ownerId !== userId) throw new DomainError('PAYM_NOT_BROADCASTER', "only the channel's broadcaster manages its products");
    const problems = problemsOf(input);
    if (problems.length) throw new DomainError('VALIDATION_FAILED', 'the product is invalid', { fields: problems });
    const fields = {
      name: input.name.trim(),
      appleProductId: input.appleProductId ?? null,
      googleProductId: input.googleProductId ?? null,
    };
    const prices = input.prices.map((p) => ({ currency: p.currency.toLowerCase(), amount: p.amount }));
    try {
      return await this.prisma.$transaction(async (tx) => {
        const product = await tx.product.upsert({
          where: { channelId_tier: { channelId, tier: input.tier } },
          create: { id: crypto.randomUUID(), channelId, tier: input.tier, ...fields },
          update: fields,
        });
        await tx.productPrice.deleteMany({ where: { productId: product.id } });
        await tx.productPrice.createMany({ data: prices.map((p) => ({ productId: product.id, ...p })) });
        return view(await tx.product.findUniqueOrThrow({ where: { id: product.id }, include: withPrices }));
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new DomainError('PAYM_STORE_PRODUCT_TAKEN', 'a store product id is already given to another tier');
      }
      throw error;
    }
  }

  /** Projection of chnl.channel.created.v1: the owner who manages the channel's products. */
  async channelCreated(event: EventOf<'chnl.channel.created.v1'>, group: string): Promise<'created' | 'duplicate'> {
    const { channelId, ownerId } = event.data;
    const written = await oncePerEventSql(
      this.prisma,
      group,
      event.id,
      Prisma.sql`INSERT INTO channel_owner (channel_id, owner_id) SELECT ${channelId}::uuid, ${ownerId}::uuid FROM first_delivery
        ON CONFLICT DO NOTHING
        RETURNING 1`,
    );
    return written === 1 ? 'created' : 'duplicate';
  }
}
