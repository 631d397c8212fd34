import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Client } from 'pg';
import {
  isSimulated,
  PAYM_SIMULATOR_FILE,
  type PaymSimulatorTarget as Target,
  SIMULATED_EVENTS,
  type SimulatedEvent,
  type SimulatedPurchase,
  type SimulatedStore,
  simulatedNotifications,
  subscriptionRef,
} from '../subgraphs/paym/src/simulator';

const DAY_MS = 86_400_000;

function target(): Target {
  if (!existsSync(PAYM_SIMULATOR_FILE)) throw new Error('run npm start first: it makes the keys the simulator signs with');
  const fromStart = JSON.parse(readFileSync(PAYM_SIMULATOR_FILE, 'utf8')) as Target;
  const facade = process.env.REST_FACADE_URL;
  return {
    ...fromStart,
    ...(facade ? { api: `${facade}/private/v1`, webhooks: `${facade}/webhooks/v1/payments` } : {}),
    databaseUrl: process.env.DATABASE_URL ?? fromStart.databaseUrl,
  };
}

async function userOf(api: string, login: string): Promise<{ id: string; channel?: { id: string } }> {
  const answer = await fetch(`${api}/users/${encodeURIComponent(login)}`);
  if (!answer.ok) throw new Error(`no user ${login} (${answer.status})`);
  return (await answer.json()) as { id: string; channel?: { id: string } };
}

/**
 * The channel's tier 1 and its App Store and Google Play products: the stores sell only what the channel sells, so a channel that
 * sells nothing yet gets it, as its broadcaster would have made it.
 */
async function tierOne(db: Client, channelId: string): Promise<{ apple: string; google: string }> {
  const productId = `sim.${channelId}.tier1`;
  const saved = await db.query<{ id: string; apple_product_id: string; google_product_id: string }>(
    `INSERT INTO paym.product (id, channel_id, tier, name, apple_product_id, google_product_id, updated_at)
     VALUES ($1, $2, 1, 'Tier 1', $3, $3, now())
     ON CONFLICT (channel_id, tier) DO UPDATE SET apple_product_id = COALESCE(product.apple_product_id, EXCLUDED.apple_product_id),
       google_product_id = COALESCE(product.google_product_id, EXCLUDED.google_product_id)
     RETURNING id, apple_product_id, google_product_id`,
    [randomUUID(), channelId, productId],
  );
  await db.query(`INSERT INTO paym.product_price (product_id, currency, amount) VALUES ($1, 'usd', 499) ON CONFLICT DO NOTHING`, [
    saved.rows[0].id,
  ]);
  return { apple: saved.rows[0].apple_product_id, google: saved.rows[0].google_product_id };
}

/** What the store knows of the buyer's subscription: read from the payment domain's tables, as the store keeps its own. */
async function purchaseOf(db: Client, store: SimulatedStore, event: SimulatedEvent, userId: string, channelId: string) {
  const entitlement = await db.query<{ period_end: Date | null }>(
    'SELECT period_end FROM paym.entitlement WHERE user_id = $1 AND channel_id = $2',
    [userId, channelId],
  );
  const payment = await db.query<{ store_payment_id: string }>(
    `SELECT store_payment_id FROM paym.payment WHERE store = $1 AND store_subscription_id = $2 AND refunded_at IS NULL
     ORDER BY paid_at DESC LIMIT 1`,
    [store, subscriptionRef(store, userId, channelId)],
  );
  const periodEnd = entitlement.rows[0]?.period_end ?? null;
  const now = Date.now();
  const purchase: SimulatedPurchase = {
    userId,
    channelId,
    tier: 1,
    periodEnd:
      event === 'subscribed'
        ? new Date(now + 30 * DAY_MS)
        : event === 'renewed'
          ? new Date(Math.max(now, periodEnd?.getTime() ?? now) + 30 * DAY_MS)
          : (periodEnd ?? new Date(now)),
    lastPaymentId: payment.rows[0]?.store_payment_id,
  };
  const products = await tierOne(db, channelId);
  return store === 'stripe' ? purchase : { ...purchase, productId: products[store] };
}

/**
 * The payment stores for people: `npm run payments -- simulate stripe|apple|google <event> <login> <channel>` sends the
 * notifications the store would send when <login> subscribes to, renews or is refunded the subscription to
 * <channel>'s channel, signed with the keys `npm start` configured, to the running platform, which handles them as
 * it handles the stores'.
 */
async function main([command, store, event, login, channel]: string[]): Promise<number> {
  if (command !== 'simulate' || !isSimulated(store, event) || !login || !channel) {
    const usage = Object.entries(SIMULATED_EVENTS).map(([s, events]) => `${s} ${events.join('|')}`);
    console.error(`usage: npm run payments -- simulate <store> <event> <login> <channel login>\n  ${usage.join('\n  ')}`);
    return 2;
  }
  const { api, webhooks, databaseUrl, appleBundleId, googlePackageName, localGoogle, keys } = target();
  const buyer = await userOf(api, login);
  const channelId = (await userOf(api, channel)).channel?.id;
  if (!channelId) throw new Error(`${channel} has no channel`);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const purchase = await purchaseOf(db, store, event as SimulatedEvent, buyer.id, channelId).finally(() => db.end());

  const options = { appleBundleId, googlePackageName };
  for (const notification of await simulatedNotifications(store, event as SimulatedEvent, purchase, keys, options)) {
    if (notification.purchase) {
      const { token, body } = notification.purchase;
      const set = await fetch(`${localGoogle}/simulator/purchases/${encodeURIComponent(token)}`, {
        method: 'PUT',
        body: JSON.stringify(body),
      });
      if (!set.ok) throw new Error(`the local Google Play refused the purchase (${set.status})`);
    }
    const answer = await fetch(`${webhooks}/${store}`, { method: 'POST', headers: notification.headers, body: notification.body });
    console.log(`${notification.type}: ${answer.status} ${await answer.text()}`);
    if (!answer.ok) return 1;
  }
  console.log(`see it: GET ${api}/me/subscriptions as ${login} (applied within seconds, by paym-webhooks-wkr)`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
