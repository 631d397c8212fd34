import { randomUUID } from 'node:crypto';
import type { AnonymousIdentity, Identity, OAuthIdentity, ServiceIdentity, SessionIdentity, StaffIdentity } from '../../kernel/identity';
import type { newKeyPair } from '../../kernel/keys';

type KeyPair = ReturnType<typeof newKeyPair>;

/** Callers of each kind, as the signed identity would carry them, for specs that call services directly. */
export const identities = {
  anonymous: (): AnonymousIdentity => ({ kind: 'anonymous', requestId: randomUUID() }),
  /** A user of our own apps, who verified their email address unless `emailVerified` is false. */
  session: (userId: string = randomUUID(), emailVerified = true): SessionIdentity => ({
    kind: 'session',
    userId,
    emailVerified,
    requestId: randomUUID(),
  }),
  /**
   * A third-party app: for `userId` if the user consented (a user who verified their email address unless
   * `emailVerified` is false), for no user (an app token) without one.
   */
  oauth: (userId: string | undefined, scopes: string[], clientId = 'third-party-app', emailVerified = true): OAuthIdentity => ({
    kind: 'oauth',
    clientId,
    ...(userId ? { userId, emailVerified } : {}),
    scopes,
    requestId: randomUUID(),
  }),
  /** Staff whose second factor was confirmed `mfaAgeSeconds` ago. */
  staff: (userId: string, permissions: string[], mfaAgeSeconds = 0): StaffIdentity => ({
    kind: 'staff',
    userId,
    permissions,
    mfaAt: Math.floor(Date.now() / 1000) - mfaAgeSeconds,
    requestId: randomUUID(),
  }),
  /** One of the platform's own processes, calling as itself. */
  service: (): ServiceIdentity => ({ kind: 'service', service: 'rt-gtw', requestId: randomUUID() }),
};

/** Any kind of caller from a kind, a user and scopes (those a kind does not carry are ignored). */
export function identityOf(kind: Identity['kind'], userId?: string, scopes: string[] = []): Identity {
  switch (kind) {
    case 'anonymous':
      return identities.anonymous();
    case 'session':
      return identities.session(userId ?? randomUUID());
    case 'oauth':
      return identities.oauth(userId, scopes);
    case 'staff':
      return identities.staff(userId ?? randomUUID(), []);
    case 'service':
      return identities.service();
  }
}

/** A key pair's public keys, counting how often a signature is checked: what a verifier's memory saves. */
export const countingChecks = (pair: KeyPair) => {
  const keys = { ...pair.verification, checks: 0 };
  keys.get = (...args) => {
    keys.checks += 1;
    return pair.verification.get(...args);
  };
  return keys;
};
