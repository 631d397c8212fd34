import { createPrivateKey, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { makeAppleAuthority as makeAuthority } from '../../subgraphs/paym/src/simulator';

/** A certificate authority standing in for Apple's (the simulator's): a root, a marked intermediate and a marked signing leaf. */
export function makeAppleAuthority(name = 'Test') {
  const { chain, leafKey } = makeAuthority(name, 1);
  const key = createPrivateKey(leafKey);
  const sign = (payload: Record<string, unknown>) => new SignJWT(payload).setProtectedHeader({ alg: 'ES256', x5c: chain }).sign(key);
  return { rootBase64: chain[2], sign };
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
