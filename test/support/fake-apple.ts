import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { KJUR } from 'jsrsasign';

interface KeyPair {
  publicPem: string;
  privatePem: string;
  privateKey: KeyObject;
}

const keyPair = (): KeyPair => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey,
  };
};

/** X.509 UTCTime, as jsrsasign takes it: YYMMDDhhmmssZ. */
const utcTime = (date: Date) => `${date.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;

/** Apple's marker extensions: on the App Store's intermediate (WWDR) and on its receipt-signing leaf. */
const INTERMEDIATE_MARKER = '1.2.840.113635.100.6.2.1';
const LEAF_MARKER = '1.2.840.113635.100.6.11.1';

function certificate(subject: string, issuer: string, key: KeyPair, issuerKey: KeyPair, ca: boolean, marker?: string): Buffer {
  const cert = new KJUR.asn1.x509.Certificate({
    version: 3,
    serial: { int: Math.floor(Math.random() * 1e9) },
    issuer: { str: issuer },
    subject: { str: subject },
    notbefore: utcTime(new Date(Date.now() - 86_400_000)),
    notafter: utcTime(new Date(Date.now() + 365 * 86_400_000)),
    sbjpubkey: key.publicPem,
    sigalg: 'SHA256withECDSA',
    cakey: issuerKey.privatePem,
    ext: [{ extname: 'basicConstraints', cA: ca, critical: true }, ...(marker ? [{ extname: marker, extn: '0500' }] : [])],
  } as never);
  return Buffer.from(cert.getEncodedHex(), 'hex');
}

/** A certificate authority standing in for Apple's: a root, a marked intermediate and a marked signing leaf. */
export function makeAppleAuthority(name = 'Test') {
  const root = keyPair();
  const intermediate = keyPair();
  const leaf = keyPair();
  const rootDer = certificate(`/CN=${name} Root CA`, `/CN=${name} Root CA`, root, root, true);
  const chain = [
    certificate(`/CN=${name} Signing`, `/CN=${name} WWDR`, leaf, intermediate, false, LEAF_MARKER),
    certificate(`/CN=${name} WWDR`, `/CN=${name} Root CA`, intermediate, root, true, INTERMEDIATE_MARKER),
    rootDer,
  ].map((der) => der.toString('base64'));
  const sign = (payload: Record<string, unknown>) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'ES256', x5c: chain }).sign(leaf.privateKey);
  return { rootBase64: rootDer.toString('base64'), sign };
}

export interface AppleTransaction {
  originalTransactionId: string;
  transactionId: string;
  productId: string;
  appAccountToken?: string;
  expiresDate?: number;
  price?: number;
  currency?: string;
}

/** An App Store Server Notification V2 body, `{ signedPayload }`, signed by `authority`. */
export async function appleNotification(
  authority: ReturnType<typeof makeAppleAuthority>,
  options: { type: string; subtype?: string; bundleId: string; at: Date; transaction: AppleTransaction; uuid?: string },
): Promise<string> {
  const signedDate = options.at.getTime();
  const signedTransactionInfo = await authority.sign({
    ...options.transaction,
    bundleId: options.bundleId,
    environment: 'Sandbox',
    signedDate,
    purchaseDate: signedDate,
    type: 'Auto-Renewable Subscription',
  });
  const signedPayload = await authority.sign({
    notificationType: options.type,
    ...(options.subtype ? { subtype: options.subtype } : {}),
    notificationUUID: options.uuid ?? randomUUID(),
    version: '2.0',
    signedDate,
    data: { bundleId: options.bundleId, environment: 'Sandbox', signedTransactionInfo },
  });
  return JSON.stringify({ signedPayload });
}
