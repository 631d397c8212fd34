import { DomainError } from '../../../../kernel/errors';
import type { PrismaClient, PushSubscription } from '../data/prisma/client';

/** Push services on this machine (a developer's, a test's) may speak plain http. */
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** The browsers a user registered for Web Push (RFC 8030 endpoints, RFC 8291 keys). */
export class PushSubscriptionsService {
  constructor(private readonly prisma: PrismaClient) {}

  async register(userId: string, input: { endpoint: string; keys: { p256dh: string; auth: string } }): Promise<PushSubscription> {
    const problems: { field: string; message: string }[] = [];
    let url: URL | undefined;
    try {
      url = new URL(input.endpoint);
    } catch {
      problems.push({ field: 'endpoint', message: 'must be an absolute URL' });
    }
    if (url && url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
      problems.push({ field: 'endpoint', message: 'must be https (or http on a loopback address)' });
    }
    // A P-256 public key uncompressed is 65 bytes; the auth secret 16 (RFC 8291 §3).
    if (!BASE64URL.test(input.keys.p256dh) || Buffer.from(input.keys.p256dh, 'base64url').length !== 65) {
      problems.push({ field: 'keys.p256dh', message: 'must be the base64url of a 65-byte P-256 public key' });
    }
    if (!BASE64URL.test(input.keys.auth) || Buffer.from(input.keys.auth, 'base64url').length !== 16) {
      problems.push({ field: 'keys.auth', message: 'must be the base64url of a 16-byte secret' });
    }
    if (problems.length) throw new DomainError('PTFM_PUSH_SUBSCRIPTION_INVALID', 'not a browser push subscription', { fields: problems });
    const { endpoint, keys } = input;
    return this.prisma.pushSubscription.upsert({
      where: { endpoint },
      create: { userId, endpoint, p256dh: keys.p256dh, auth: keys.auth },
      update: { userId, p256dh: keys.p256dh, auth: keys.auth },
    });
  }
}
