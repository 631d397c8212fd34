import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify, SignJWT } from 'jose';

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A Google Play subscription purchase as `purchases.subscriptionsv2.get` answers it. */
export interface GooglePurchase {
  subscriptionState: string;
  latestOrderId?: string;
  externalAccountIdentifiers?: { obfuscatedExternalAccountId?: string };
  lineItems: {
    productId: string;
    expiryTime?: string;
    latestSuccessfulOrderId?: string;
    autoRenewingPlan?: { recurringPrice?: { currencyCode: string; units?: string; nanos?: number } };
  }[];
}

/**
 * Google as far as the payment domain meets it, on 127.0.0.1: the certificates Google signs its ID tokens with (the
 * keys made here; `signPush` signs a Pub/Sub push token as Google would), and Android Publisher's
 * `purchases.subscriptionsv2.get`, answering the purchases a test sets, only to a self-signed JWT of the service
 * account it hands out (`serviceAccountKey`), every call counted.
 */
export async function startFakeGoogle(options: { packageName: string }) {
  const google = rsa();
  const kid = randomBytes(8).toString('hex');
  const account = rsa();
  const serviceAccountKey = {
    type: 'service_account',
    client_email: `platform@test-${randomBytes(3).toString('hex')}.iam.gserviceaccount.com`,
    private_key: account.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    private_key_id: randomBytes(8).toString('hex'),
  };
  const purchases = new Map<string, GooglePurchase>();
  const calls: { token: string; authorized: boolean }[] = [];
  let origin = '';
  const path = `/androidpublisher/v3/applications/${options.packageName}/purchases/subscriptionsv2/tokens/`;

  const server = createServer(async (req, res) => {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (req.method === 'GET' && req.url === '/oauth2/v1/certs') {
      json(200, { [kid]: google.publicKey.export({ type: 'spki', format: 'pem' }).toString() }, { 'cache-control': 'public, max-age=300' });
      return;
    }
    if (req.method === 'GET' && req.url?.startsWith(path)) {
      const token = decodeURIComponent(req.url.slice(path.length));
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const authorized = await jwtVerify(bearer, account.publicKey, {
        audience: `${origin}/`,
        issuer: serviceAccountKey.client_email,
        subject: serviceAccountKey.client_email,
      }).then(
        ({ protectedHeader }) => protectedHeader.kid === serviceAccountKey.private_key_id,
        () => false,
      );
      calls.push({ token, authorized });
      if (!authorized) return json(401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
      const purchase = purchases.get(token);
      if (!purchase) return json(404, { error: { code: 404, status: 'NOT_FOUND' } });
      return json(200, { kind: 'androidpublisher#subscriptionPurchaseV2', ...purchase });
    }
    json(404, { error: { code: 404, status: 'NOT_FOUND' } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** A Pub/Sub push's ID token, as Google signs it (another key, issuer or lifetime when a test says so). */
  const signPush = (claims: {
    audience: string;
    email: string;
    emailVerified?: boolean;
    issuer?: string;
    issuedAt?: Date;
    expiresAt?: Date;
    key?: KeyObject;
    kid?: string;
  }) => {
    const iat = claims.issuedAt ?? new Date();
    return new SignJWT({ email: claims.email, email_verified: claims.emailVerified ?? true, sub: '1234567890' })
      .setProtectedHeader({ alg: 'RS256', kid: claims.kid ?? kid, typ: 'JWT' })
      .setIssuer(claims.issuer ?? 'https://accounts.google.com')
      .setAudience(claims.audience)
      .setIssuedAt(Math.floor(iat.getTime() / 1000))
      .setExpirationTime(Math.floor((claims.expiresAt ?? new Date(iat.getTime() + 3_600_000)).getTime() / 1000))
      .sign(claims.key ?? google.privateKey);
  };

  return {
    url: origin,
    certsUrl: `${origin}/oauth2/v1/certs`,
    serviceAccountKey,
    purchases,
    calls,
    signPush,
    /** A key Google never published, under Google's key id: a forged token. */
    forgeryKey: rsa().privateKey,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type FakeGoogle = Awaited<ReturnType<typeof startFakeGoogle>>;

/** The body of a Pub/Sub push carrying a Google Play developer notification. */
export function pushBody(notification: object, messageId = String(BigInt(`0x${randomBytes(6).toString('hex')}`))): string {
  return JSON.stringify({
    message: {
      data: Buffer.from(JSON.stringify(notification)).toString('base64'),
      messageId,
      message_id: messageId,
      publishTime: new Date().toISOString(),
    },
    subscription: 'projects/test/subscriptions/play-rtdn',
  });
}

/** A subscription's developer notification. */
export const subscriptionNotification = (
  packageName: string,
  at: Date,
  notificationType: number,
  purchaseToken: string,
  subscriptionId: string,
) => ({
  version: '1.0',
  packageName,
  eventTimeMillis: String(at.getTime()),
  subscriptionNotification: { version: '1.0', notificationType, purchaseToken, subscriptionId },
});

/** A voided (refunded or charged back) subscription purchase's developer notification. */
export const voidedNotification = (packageName: string, at: Date, purchaseToken: string, orderId: string) => ({
  version: '1.0',
  packageName,
  eventTimeMillis: String(at.getTime()),
  voidedPurchaseNotification: { purchaseToken, orderId, productType: 1, refundType: 1 },
});
