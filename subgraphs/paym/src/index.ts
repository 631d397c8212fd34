import type { EventBus } from '../../../kernel/bus/port';
import type { Logger } from '../../../kernel/log';
import { startDomainService } from '../../../kernel/subgraph';
import { startDomainWorker } from '../../../kernel/worker-process';
import type { PaymStoreConfig, PaymTransfersConfig, PaymWebhooksConfig } from './config';
import { createPaymContext } from './context';
import { connectPaymDb, PAYM_SCHEMA } from './data/db';
import { resolvers } from './resolvers';
import { EntitlementsService } from './services/entitlements.service';
import { ProductsService } from './services/products.service';
import { TransfersService } from './services/transfers.service';
import { GooglePlayPurchases } from './stores/google';
import type { PurchaseLookup } from './stores/port';
import { stripeClient } from './stores/stripe';
import { createTransfersWorker } from './workers/transfers.wkr';
import { createPaymWebhooksWorker } from './workers/webhooks.wkr';

/** paym-store-svc: the payment subgraph (products, checkout, subscriptions, the stores' inbox) and the domain's outbox relay. */
export const startPaymStoreSvc = (config: PaymStoreConfig, bus: EventBus, logger: Logger) =>
  startDomainService(
    { name: 'paym', schema: PAYM_SCHEMA, connect: connectPaymDb, resolvers, context: (deps) => createPaymContext(config, deps) },
    { ...config, port: config.PAYM_STORE_PORT },
    bus,
    logger,
  );

/** paym-webhooks-wkr: applies the recorded store notifications to the entitlements; learns the channels' owners. */
export const startPaymWebhooksWkr = (config: PaymWebhooksConfig, bus: EventBus, logger: Logger) =>
  startDomainWorker(
    {
      connect: connectPaymDb,
      worker: (prisma, on, log) => {
        const products = new ProductsService(prisma);
        const lookups: PurchaseLookup[] = [];
        if (config.PAYM_GOOGLE_SERVICE_ACCOUNT_KEY) {
          const options = {
            baseUrl: config.PAYM_GOOGLE_API_BASE_URL,
            packageName: config.PAYM_GOOGLE_PACKAGE_NAME,
            serviceAccount: config.PAYM_GOOGLE_SERVICE_ACCOUNT_KEY,
          };
          lookups.push(new GooglePlayPurchases(options, (id) => products.byStoreProduct('google', id)));
        }
        return createPaymWebhooksWorker(
          on,
          new EntitlementsService(prisma, config.PAYM_PLATFORM_SHARE_PERCENT, lookups, {
            signalThreshold: config.PAYM_FRAUD_FLAG_THRESHOLD,
            refundRatePercent: config.PAYM_FRAUD_REFUND_RATE_PERCENT,
          }),
          products,
          log,
        );
      },
    },
    { ...config, port: config.PAYM_WEBHOOKS_HEALTH_PORT },
    bus,
    logger,
  );

/** paym-transfers-wkr: pays streamers' balances above the minimum by Stripe Connect transfers, each once. */
export const startPaymTransfersWkr = (config: PaymTransfersConfig, bus: EventBus, logger: Logger) =>
  startDomainWorker(
    {
      connect: connectPaymDb,
      worker: (prisma, _bus, log) => {
        const stripe = config.PAYM_STRIPE_API_KEY ? stripeClient(config.PAYM_STRIPE_API_KEY, config.PAYM_STRIPE_BASE_URL) : undefined;
        if (!stripe) log.warn('no PAYM_STRIPE_API_KEY: nothing is paid out');
        return createTransfersWorker(
          new TransfersService(prisma, stripe, config.PAYM_PAYOUT_MINIMUM),
          config.PAYM_TRANSFERS_INTERVAL_SECONDS,
          log,
        );
      },
    },
    { ...config, port: config.PAYM_TRANSFERS_HEALTH_PORT },
    bus,
    logger,
  );

export { paymPruneRnr } from './workers/prune.rnr';
export { paymRenewalsRnr } from './workers/renewals.rnr';
