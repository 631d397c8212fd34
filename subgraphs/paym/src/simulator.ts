import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { KJUR } from 'jsrsasign';
import Stripe from 'stripe';
import { fromRoot } from '../../../kernel/paths';
import type { Store } from './stores/port';

/**
 * The stores for people: `npm start` configures the payment domain with the keys made here (kept in this file, so
 * that a restart keeps them), and `npm run payments -- simulate` signs notifications with them as the stores sign
 * theirs. The file also says where the platform `npm start` runs is.
 */
export const PAYM_SIMULATOR_FILE = fromRoot('.data', 'paym-simulator.json');

/** What the simulator signs with: a Stripe endpoint secret, and an App Store-like authority (root, WWDR, leaf). */
export interface SimulatorKeys {
  stripeWebhookSecret: string;
  apple: {
    /** Base64 DER certificates: the signing leaf, the intermediate, the root (the x5c header's order). */
    chain: string[];
    /** The leaf's PKCS #8 private key, PEM. */
    leafKey: string;
  };
}

export interface PaymSimulatorTarget {
  /** The Private API, to find logins' ids. */
  api: string;
  /** The facade's payment webhooks, `/stripe` and `/apple` below it. */
  webhooks: string;
  /** The payment domain's database, where the simulator reads what a store knows of its own purchases. */
  databaseUrl: string;
  appleBundleId: string;
  keys: SimulatorKeys;
}

/** X.509 UTCTime, as jsrsasign takes it: YYMMDDhhmmssZ. */
const utcTime = (date: Date) => `${date.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;

/** Apple's marker extensions: on the App Store's intermediate (WWDR) and on its receipt-signing leaf. */
const INTERMEDIATE_MARKER = '1.2.840.113635.100.6.2.1';
const LEAF_MARKER = '1.2.840.113635.100.6.11.1';

interface Pem {
  publicPem: string;
  privatePem: string;
}

const ecKey = (): Pem => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
};

function certificate(subject: string, issuer: string, key: Pem, issuerKey: Pem, ca: boolean, years: number, marker?: string): string {
  const cert = new KJUR.asn1.x509.Certificate({
    version: 3,
    serial: { int: Math.floor(Math.random() * 1e9) },
    issuer: { str: issuer },
    subject: { str: subject },
    notbefore: utcTime(new Date(Date.now() - 86_400_000)),
    notafter: utcTime(new Date(Date.now() + years * 365 * 86_400_000)),
    sbjpubkey: key.publicPem,
    sigalg: 'SHA256withECDSA',
    cakey: issuerKey.privatePem,
    ext: [{ extname: 'basicConstraints', cA: ca, critical: true }, ...(marker ? [{ extname: marker, extn: '0500' }] : [])],
  } as never);
  return Buffer.from(cert.getEncodedHex(), 'hex').toString('base64');
}

/**
 * A certificate authority standing in for Apple's, as Apple's library allows (its roots are configured): a root, a
 * marked intermediate and a marked signing leaf, as the App Store signs with.
 */
export function makeAppleAuthority(name = 'Local', years = 10): SimulatorKeys['apple'] {
  const root = ecKey();
  const intermediate = ecKey();
  const leaf = ecKey();
  const chain = [
    certificate(`/CN=${name} App Store Signing`, `/CN=${name} WWDR`, leaf, intermediate, false, years, LEAF_MARKER),
    certificate(`/CN=${name} WWDR`, `/CN=${name} Root CA`, intermediate, root, true, years, INTERMEDIATE_MARKER),
    certificate(`/CN=${name} Root CA`, `/CN=${name} Root CA`, root, root, true, years),
  ];
  return { chain, leafKey: leaf.privatePem };
}

export const makeSimulatorKeys = (): SimulatorKeys => ({
  stripeWebhookSecret: `whsec_${randomBytes(24).toString('base64url')}`,
  apple: makeAppleAuthority(),
});

/** The payment domain's settings that make it accept what the simulator signs, unless the operator set their own. */
export function simulatorEnv(keys: SimulatorKeys, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.PAYM_APPLE_ROOT_CERTS) return { PAYM_STRIPE_WEBHOOK_SECRET: env.PAYM_STRIPE_WEBHOOK_SECRET ?? keys.stripeWebhookSecret };
  return {
    PAYM_STRIPE_WEBHOOK_SECRET: env.PAYM_STRIPE_WEBHOOK_SECRET ?? keys.stripeWebhookSecret,
    PAYM_APPLE_ROOT_CERTS: keys.apple.chain[2],
    PAYM_APPLE_ENVIRONMENT: 'Sandbox',
  };
}

/** What a buyer does, as the simulator plays it, per store. */
export const SIMULATED_EVENTS = {
  stripe: ['subscribed', 'renewed', 'refunded', 'disputed', 'fraud_warning'],
  apple: ['subscribed', 'renewed', 'refunded'],
} as const satisfies Partial<Record<Store, readonly string[]>>;

export type SimulatedStore = keyof typeof SIMULATED_EVENTS;
export type SimulatedEvent = (typeof SIMULATED_EVENTS)[SimulatedStore][number];

export const isSimulated = (store: string, event: string): store is SimulatedStore =>
  Object.hasOwn(SIMULATED_EVENTS, store) && (SIMULATED_EVENTS[store as SimulatedStore] as readonly string[]).includes(event);

/** One buyer's subscription to one channel, as the store knows it. */
export interface SimulatedPurchase {
  userId: string;
  channelId: string;
  tier: number;
  /** The store product selling the tier (the App Store's). */
  productId?: string;
  /** The end of the period the notification is about. */
  periodEnd: Date;
  /** The store's id of the last payment, which a refund, dispute or warning names. */
  lastPaymentId?: string;
}

/** The store's id of a buyer's subscription to a channel: the same for every notification about it. */
export function subscriptionRef(store: SimulatedStore, userId: string, channelId: string): string {
  const digest = createHash('sha256').update(`${store}:${userId}:${channelId}`).digest('hex');
  return store === 'stripe' ? `sub_sim_${digest.slice(0, 24)}` : String(BigInt(`0x${digest.slice(0, 12)}`) + 2_000_000_000_000_000n);
}

export interface SignedNotification {
  /** The event type as the store names it. */
  type: string;
  body: string;
  headers: Record<string, string>;
}

/** Apple's prices are in milliunits of the currency. */
const SIMULATED_PRICE = { minor: 499, currency: 'usd' };

/** The notifications a store sends for `event`, in order, signed as the store signs them. */
export async function simulatedNotifications(
  store: SimulatedStore,
  event: SimulatedEvent,
  purchase: SimulatedPurchase,
  keys: SimulatorKeys,
  options: { appleBundleId: string; now?: Date },
): Promise<SignedNotification[]> {
  const now = options.now ?? new Date();
  const ref = subscriptionRef(store, purchase.userId, purchase.channelId);
  if (['refunded', 'disputed', 'fraud_warning'].includes(event) && !purchase.lastPaymentId) {
    throw new Error(`no ${store} payment of this subscription to name: simulate subscribed first`);
  }
  if (store === 'stripe') return stripeNotifications(event, purchase, ref, keys.stripeWebhookSecret, now);
  return [await appleNotification(event, purchase, ref, keys.apple, options.appleBundleId, now)];
}

const stripeSigner = new Stripe('sk_simulator_signs_only', { telemetry: false });

function stripeNotifications(event: SimulatedEvent, purchase: SimulatedPurchase, ref: string, secret: string, now: Date) {
  const created = Math.floor(now.getTime() / 1000);
  const metadata = { userId: purchase.userId, channelId: purchase.channelId, tier: String(purchase.tier) };
  const suffix = randomBytes(8).toString('hex');
  const invoice = {
    id: `in_sim_${suffix}`,
    object: 'invoice',
    amount_paid: SIMULATED_PRICE.minor,
    currency: SIMULATED_PRICE.currency,
    charge: `ch_sim_${suffix}`,
    payment_intent: `pi_sim_${suffix}`,
    parent: { subscription_details: { subscription: ref, metadata } },
    lines: { data: [{ metadata, period: { end: Math.floor(purchase.periodEnd.getTime() / 1000) } }] },
  };
  // A payment's charge is named after its invoice here (in_sim_x, ch_sim_x), so the charge of the last one is known.
  const charge = purchase.lastPaymentId?.replace(/^in_/, 'ch_');
  const events: [string, object][] =
    event === 'subscribed'
      ? [
          [
            'checkout.session.completed',
            { id: `cs_sim_${suffix}`, object: 'checkout.session', mode: 'subscription', subscription: ref, metadata },
          ],
          ['invoice.paid', invoice],
        ]
      : event === 'renewed'
        ? [['invoice.paid', invoice]]
        : event === 'refunded'
          ? [['charge.refunded', { id: charge, object: 'charge', refunded: true, invoice: purchase.lastPaymentId }]]
          : event === 'disputed'
            ? [['charge.dispute.created', { id: `dp_sim_${suffix}`, object: 'dispute', charge }]]
            : [['radar.early_fraud_warning.created', { id: `issfr_sim_${suffix}`, object: 'radar.early_fraud_warning', charge }]];
  return events.map(([type, object]) => {
    const body = JSON.stringify({ id: `evt_sim_${randomBytes(12).toString('hex')}`, object: 'event', created, type, data: { object } });
    const signature = stripeSigner.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: created });
    return { type, body, headers: { 'content-type': 'application/json', 'stripe-signature': signature } };
  });
}

const APPLE_TYPES = { subscribed: 'SUBSCRIBED', renewed: 'DID_RENEW', refunded: 'REFUND' } as Record<SimulatedEvent, string>;

async function appleNotification(
  event: SimulatedEvent,
  purchase: SimulatedPurchase,
  ref: string,
  authority: SimulatorKeys['apple'],
  bundleId: string,
  now: Date,
): Promise<SignedNotification> {
  const type = APPLE_TYPES[event];
  if (!type) throw new Error(`the App Store sends no ${event} notification`);
  if (!purchase.productId) throw new Error('the channel sells no App Store product');
  const key = createPrivateKey(authority.leafKey);
  const sign = (payload: Record<string, unknown>) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'ES256', x5c: authority.chain }).sign(key);
  const signedDate = now.getTime();
  const transactionId = event === 'refunded' ? (purchase.lastPaymentId as string) : String(BigInt(ref) + BigInt(signedDate));
  const signedTransactionInfo = await sign({
    originalTransactionId: ref,
    transactionId,
    productId: purchase.productId,
    appAccountToken: purchase.userId,
    bundleId,
    environment: 'Sandbox',
    signedDate,
    purchaseDate: signedDate,
    expiresDate: purchase.periodEnd.getTime(),
    price: SIMULATED_PRICE.minor * 10,
    currency: SIMULATED_PRICE.currency.toUpperCase(),
    type: 'Auto-Renewable Subscription',
  });
  const signedPayload = await sign({
    notificationType: type,
    ...(event === 'subscribed' ? { subtype: 'INITIAL_BUY' } : {}),
    notificationUUID: randomUUID(),
    version: '2.0',
    signedDate,
    data: { bundleId, environment: 'Sandbox', signedTransactionInfo },
  });
  return { type, body: JSON.stringify({ signedPayload }), headers: { 'content-type': 'application/json' } };
}
