import DataLoader from 'dataloader';
import type Stripe from 'stripe';
import type { Identity } from '../../../kernel/identity';
import type { Logger } from '../../../kernel/log';
import type { PaymStoreConfig } from './config';
import type { PrismaClient } from './data/db';
import { AppleNotifications } from './stores/apple';
import { GoogleNotifications } from './stores/google';
import type { NotificationVerifier } from './stores/port';
import { stripeClient, StripeNotifications } from './stores/stripe';
import { CheckoutService } from './services/checkout.service';
import { EntitlementsService } from './services/entitlements.service';
import { FraudService } from './services/fraud.service';
import { PayoutsService } from './services/payouts.service';
import { ProductsService, type ProductView } from './services/products.service';
import { WebhooksService } from './services/webhooks.service';

export interface PaymServices {
  products: ProductsService;
  checkout: CheckoutService;
  entitlements: EntitlementsService;
  payouts: PayoutsService;
  fraud: FraudService;
  webhooks: WebhooksService;
}

export interface PaymContext extends PaymServices {
  identity: Identity;
  log: Logger;
  /** Per-request loader: a plan touching many channels makes one query. */
  productsByChannel: DataLoader<string, ProductView[]>;
}

/** The payment domain's services, built once per process; the context of each request is made from them. */
export function createPaymContext(config: PaymStoreConfig, { prisma }: { prisma: PrismaClient }) {
  const stripe: Stripe | undefined = config.PAYM_STRIPE_API_KEY
    ? stripeClient(config.PAYM_STRIPE_API_KEY, config.PAYM_STRIPE_BASE_URL)
    : undefined;
  const products = new ProductsService(prisma);
  const verifiers: NotificationVerifier[] = [];
  if (config.PAYM_STRIPE_WEBHOOK_SECRET.length) {
    verifiers.push(new StripeNotifications(config.PAYM_STRIPE_WEBHOOK_SECRET, config.PAYM_WEBHOOK_TOLERANCE_SECONDS));
  }
  if (config.PAYM_APPLE_ROOT_CERTS.length) {
    const options = {
      roots: config.PAYM_APPLE_ROOT_CERTS.map((root) => Buffer.from(root, 'base64')),
      bundleId: config.PAYM_APPLE_BUNDLE_ID,
      environment: config.PAYM_APPLE_ENVIRONMENT,
      appAppleId: config.PAYM_APPLE_APP_ID,
    };
    verifiers.push(new AppleNotifications(options, (id) => products.byStoreProduct('apple', id)));
  }
  if (config.PAYM_GOOGLE_PUSH_AUDIENCE && config.PAYM_GOOGLE_PUSH_SERVICE_ACCOUNT) {
    const options = {
      audience: config.PAYM_GOOGLE_PUSH_AUDIENCE,
      serviceAccount: config.PAYM_GOOGLE_PUSH_SERVICE_ACCOUNT,
      certsUrl: config.PAYM_GOOGLE_CERTS_URL,
      packageName: config.PAYM_GOOGLE_PACKAGE_NAME,
    };
    verifiers.push(new GoogleNotifications(options, (id) => products.byStoreProduct('google', id)));
  }
  const services: PaymServices = {
    products,
    checkout: new CheckoutService(prisma, products, stripe),
    entitlements: new EntitlementsService(prisma),
    payouts: new PayoutsService(prisma, config.STAFF_MFA_MAX_AGE_SECONDS),
    fraud: new FraudService(prisma, config.STAFF_MFA_MAX_AGE_SECONDS),
    webhooks: new WebhooksService(prisma, products, verifiers),
  };
  return (identity: Identity, log: Logger): PaymContext => ({
    ...services,
    identity,
    log,
    productsByChannel: new DataLoader((ids) => services.products.forChannels(ids)),
  });
}
