import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/**
 * What the simulator signs with: a Stripe endpoint secret, an App Store-like authority (root, WWDR, leaf), and the
 * key a local Google signs Pub/Sub push tokens with.
 */
export interface SimulatorKeys {
  stripeWebhookSecret: string;
  google: {
    /** RSA PKCS #8 private key, PEM: signs push tokens, and is the platform's service account key for the local Google. */
    key: string;
    kid: string;
    /** The push subscription's service account (the tokens' email) and audience. */
    pushServiceAccount: string;
    audience: string;
  };
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
  /** The local Google Play `npm start` runs: its certificates and its purchases (set by the simulator). */
  localGoogle: string;
  googlePackageName: string;
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
  google: {
    key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    kid: randomBytes(8).toString('hex'),
    pushServiceAccount: 'play-push@local-simulator.iam.gserviceaccount.com',
    audience: 'local-simulator-play-push',
  },
});

/**
 * The payment domain's settings that make it accept what the simulator signs, store by store unless the operator
 * set their own: Google Play's with the local Google at `localGoogle`.
 */
export function simulatorEnv(keys: SimulatorKeys, env: NodeJS.ProcessEnv, localGoogle: string): NodeJS.ProcessEnv {
  return {
    PAYM_STRIPE_WEBHOOK_SECRET: env.PAYM_STRIPE_WEBHOOK_SECRET ?? keys.stripeWebhookSecret,
    ...(env.PAYM_APPLE_ROOT_CERTS ? {} : { PAYM_APPLE_ROOT_CERTS: keys.apple.chain[2], PAYM_APPLE_ENVIRONMENT: 'Sandbox' }),
    ...(env.PAYM_GOOGLE_PUSH_AUDIENCE
      ? {}
      : {
          PAYM_GOOGLE_PUSH_AUDIENCE: keys.google.audience,
          PAYM_GOOGLE_PUSH_SERVICE_ACCOUNT: keys.google.pushServiceAccount,
          PAYM_GOOGLE_CERTS_URL: `${localGoogle}/oauth2/v1/certs`,
          PAYM_GOOGLE_API_BASE_URL: localGoogle,
          PAYM_GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({
            client_email: 'platform@local-simulator.iam.gserviceaccount.com',
            private_key: keys.google.key,
            private_key_id: keys.google.kid,
          }),
        }),
  };
}

const PURCHASE_PATH = /^\/androidpublisher\/v3\/applications\/[^/]+\/purchases\/subscriptionsv2\/tokens\/([^/?]+)$/;
const SIMULATOR_PATH = /^\/simulator\/purchases\/([^/?]+)$/;

/**
 * Google as far as the payment domain meets it, for `npm start` on 127.0.0.1: the certificates of the key push tokens
 * are signed with, and `purchases.subscriptionsv2.get` answering the purchases the simulator sets (`PUT
 * /simulator/purchases/{token}`), kept in memory. It checks no caller: it holds nothing but what the simulator made.
 */
export async function startLocalGooglePlay(keys: SimulatorKeys['google']) {
  const purchases = new Map<string, unknown>();
  const publicPem = createPublicKey(keys.key).export({ type: 'spki', format: 'pem' }).toString();
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/oauth2/v1/certs') return json(200, { [keys.kid]: publicPem });
    const read = PURCHASE_PATH.exec(url);
    if (req.method === 'GET' && read) {
      const purchase = purchases.get(decodeURIComponent(read[1]));
      return purchase ? json(200, { kind: 'androidpublisher#subscriptionPurchaseV2', ...purchase }) : json(404, { error: { code: 404 } });
    }
    const write = SIMULATOR_PATH.exec(url);
    if (req.method === 'PUT' && write) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        try {
          purchases.set(decodeURIComponent(write[1]), JSON.parse(Buffer.concat(chunks).toString('utf8')));
          json(204, null);
        } catch {
          json(400, { error: 'not JSON' });
        }
      });
      return;
    }
    json(404, { error: { code: 404 } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What a buyer does, as the simulator plays it, per store. */
export const SIMULATED_EVENTS = {
  stripe: ['subscribed', 'renewed', 'refunded', 'disputed', 'fraud_warning'],
  apple: ['subscribed', 'renewed', 'refunded'],
  google: ['subscribed', 'renewed', 'refunded'],
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
  /** The store product selling the tier (the App Store's or Google Play's). */
  productId?: string;
  /** The end of the period the notification is about. */
  periodEnd: Date;
  /** The store's id of the last payment, which a refund, dispute or warning names. */
  lastPaymentId?: string;
}

/** The store's id of a buyer's subscription to a channel: the same for every notification about it. */
export function subscriptionRef(store: SimulatedStore, userId: string, channelId: string): string {
  const digest = createHash('sha256').update(`${store}:${userId}:${channelId}`).digest('hex');
  if (store === 'google') return `sim.${digest.slice(0, 40)}`;
  return store === 'stripe' ? `sub_sim_${digest.slice(0, 24)}` : String(BigInt(`0x${digest.slice(0, 12)}`) + 2_000_000_000_000_000n);
}

export interface SignedNotification {
  /** The event type as the store names it. */
  type: string;
  body: string;
  headers: Record<string, string>;
  /** Google Play's purchase as its API answers it after the notification, by purchase token. */
  purchase?: { token: string; body: object };
}

/** Apple's prices are in milliunits of the currency. */
const SIMULATED_PRICE = { minor: 499, currency: 'usd' };

/** The notifications a store sends for `event`, in order, signed as the store signs them. */
export async function simulatedNotifications(
  store: SimulatedStore,
  event: SimulatedEvent,
  purchase: SimulatedPurchase,
  keys: SimulatorKeys,
  options: { appleBundleId: string; googlePackageName: string; now?: Date },
): Promise<SignedNotification[]> {
  const now = options.now ?? new Date();
  const ref = subscriptionRef(store, purchase.userId, purchase.channelId);
  if (['refunded', 'disputed', 'fraud_warning'].includes(event) && !purchase.lastPaymentId) {
    throw new Error(`no ${store} payment of this subscription to name: simulate subscribed first`);
  }
  if (store === 'stripe') return stripeNotifications(event, purchase, ref, keys.stripeWebhookSecret, now);
  if (store === 'google') return [await googleNotification(event, purchase, ref, keys.google, options.googlePackageName, now)];
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

// Google Play's developer notification types (SUBSCRIPTION_RENEWED, SUBSCRIPTION_PURCHASED).
const GOOGLE_TYPES = { subscribed: 4, renewed: 2 } as Record<SimulatedEvent, number>;

async function googleNotification(
  event: SimulatedEvent,
  purchase: SimulatedPurchase,
  token: string,
  keys: SimulatorKeys['google'],
  packageName: string,
  now: Date,
): Promise<SignedNotification> {
  if (!purchase.productId) throw new Error('the channel sells no Google Play product');
  const eventTimeMillis = String(now.getTime());
  const orderId = `GPA.sim-${randomBytes(6).toString('hex')}`;
  const notification =
    event === 'refunded'
      ? {
          version: '1.0',
          packageName,
          eventTimeMillis,
          voidedPurchaseNotification: { purchaseToken: token, orderId: purchase.lastPaymentId, productType: 1, refundType: 1 },
        }
      : {
          version: '1.0',
          packageName,
          eventTimeMillis,
          subscriptionNotification: {
            version: '1.0',
            notificationType: GOOGLE_TYPES[event],
            purchaseToken: token,
            subscriptionId: purchase.productId,
          },
        };
  const messageId = String(BigInt(`0x${randomBytes(6).toString('hex')}`));
  const body = JSON.stringify({
    message: {
      data: Buffer.from(JSON.stringify(notification)).toString('base64'),
      messageId,
      message_id: messageId,
      publishTime: now.toISOString(),
    },
    subscription: 'projects/local-simulator/subscriptions/play-rtdn',
  });
  const seconds = Math.floor(now.getTime() / 1000);
  const jwt = await new SignJWT({ email: keys.pushServiceAccount, email_verified: true, sub: '1' })
    .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' })
    .setIssuer('https://accounts.google.com')
    .setAudience(keys.audience)
    .setIssuedAt(seconds)
    .setExpirationTime(seconds + 3600)
    .sign(createPrivateKey(keys.key));
  const units = Math.floor(SIMULATED_PRICE.minor / 100);
  return {
    type: event === 'refunded' ? 'VOIDED_PURCHASE' : `SUBSCRIPTION_${event === 'subscribed' ? 'PURCHASED' : 'RENEWED'}`,
    body,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
    ...(event === 'refunded'
      ? {}
      : {
          purchase: {
            token,
            body: {
              subscriptionState: 'SUBSCRIPTION_STATE_ACTIVE',
              latestOrderId: orderId,
              externalAccountIdentifiers: { obfuscatedExternalAccountId: purchase.userId },
              lineItems: [
                {
                  productId: purchase.productId,
                  expiryTime: purchase.periodEnd.toISOString(),
                  latestSuccessfulOrderId: orderId,
                  autoRenewingPlan: {
                    recurringPrice: {
                      currencyCode: SIMULATED_PRICE.currency.toUpperCase(),
                      units: String(units),
                      nanos: (SIMULATED_PRICE.minor - units * 100) * 10_000_000,
                    },
                  },
                },
              ],
            },
          },
        }),
  };
}
