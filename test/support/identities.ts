import { randomUUID } from 'node:crypto';
import type { Identity } from '../../kernel/identity';

/**
 * One caller of each kind, as the router signs them for the subgraphs, for specs that drive a service directly.
 * Every identity has a request id of its own.
 */
export const identities = {
  anonymous: (): Identity => ({ kind: 'anonymous', scopes: [], permissions: [], requestId: randomUUID() }),

  /** Our own apps (Private API), acting for the user with every user right. */
  session: (userId: string = randomUUID()): Identity => ({ kind: 'session', userId, scopes: [], permissions: [], requestId: randomUUID() }),

  /** A third-party app (Public API) holding `scopes`, for the user who consented, or for no user (an app token). */
  oauth: (userId: string | undefined, scopes: string[], clientId = 'third-party-app'): Identity => ({
    kind: 'oauth',
    userId,
    clientId,
    scopes,
    permissions: [],
    requestId: randomUUID(),
  }),

  /** A staff member holding `permissions`, who passed their second factor at `mfaAt` (epoch seconds; now by default). */
  staff: (userId: string, permissions: string[], mfaAt: number = Math.floor(Date.now() / 1000)): Identity => ({
    kind: 'staff',
    userId,
    scopes: [],
    permissions,
    mfaAt,
    requestId: randomUUID(),
  }),
};
