import { DomainError } from './errors';
import type { Identity, OAuthIdentity, ServiceIdentity, SessionIdentity, StaffIdentity } from './identity';
import type { Scope } from './scopes';
import type { StaffPermission } from './staff-permissions';

/**
 * The checks every subgraph applies to the signed identity, so that access is decided where the data lives and
 * not only at the edge. Our own apps (`session`) act for their user with every user right; a third-party app
 * (`oauth`) holds only the scopes the user consented to; staff act through their permissions only.
 */

/** A caller acting for a user: a session, or an app the user consented to (not an app token, not staff). */
export type UserCaller = SessionIdentity | (OAuthIdentity & { userId: string });

export const actsForUser = (identity: Identity): identity is UserCaller =>
  identity.kind === 'session' || (identity.kind === 'oauth' && identity.userId !== undefined);

/** The user a call acts for, refusing callers that act for no user (anonymous, app tokens, staff). */
export function actingUser(identity: Identity): string {
  if (actsForUser(identity)) return identity.userId;
  throw new DomainError('UNAUTHENTICATED', 'this needs a user: log in, or use a user access token');
}

/**
 * Refuses a user whose account had not verified its email address when their token was issued, whether they call
 * through our own apps or through a third-party app acting for them: until they verify, they read and watch but do
 * not speak (the user domain's rule, README Sign-up).
 */
export function requireVerifiedEmail(identity: Identity): void {
  if (actsForUser(identity) && !identity.emailVerified) {
    throw new DomainError(
      'USER_EMAIL_NOT_VERIFIED',
      'verify your email address first (a new link: POST /private/v1/me/email-verifications)',
    );
  }
}

/** Whether the caller may use what `scope` guards: always for a session, only with the scope for an app. */
export function hasScope(identity: Identity, scope: Scope): boolean {
  if (identity.kind === 'session') return true;
  return identity.kind === 'oauth' && identity.scopes.includes(scope);
}

/** Refuses an app token that lacks `scope`, naming the scope so the client knows what to ask the user for. */
export function requireScope(identity: Identity, scope: Scope): void {
  if (hasScope(identity, scope)) return;
  if (identity.kind === 'anonymous') throw new DomainError('UNAUTHENTICATED', `this needs a token with the ${scope} scope`);
  throw new DomainError('INSUFFICIENT_SCOPE', `this needs the ${scope} scope`, { fields: [{ field: 'scope', message: scope }] });
}

const mfaFresh = (identity: StaffIdentity, maxAgeSeconds: number) => Date.now() / 1000 - identity.mfaAt <= maxAgeSeconds;

/** Whether a staff caller may see what `permission` guards (for fields that are null to everyone else). */
export const hasPermission = (identity: Identity, permission: StaffPermission, mfaMaxAgeSeconds: number): boolean =>
  identity.kind === 'staff' && identity.permissions.includes(permission) && mfaFresh(identity, mfaMaxAgeSeconds);

/** A staff action: a staff caller holding `permission`, who passed their second factor within `mfaMaxAgeSeconds`. */
export function requirePermission(
  identity: Identity,
  permission: StaffPermission,
  mfaMaxAgeSeconds: number,
): asserts identity is StaffIdentity {
  if (identity.kind !== 'staff') throw new DomainError('FORBIDDEN', 'staff only');
  if (!mfaFresh(identity, mfaMaxAgeSeconds)) {
    throw new DomainError('STAFF_MFA_REQUIRED', 'confirm your second factor again before this action');
  }
  if (!identity.permissions.includes(permission)) {
    throw new DomainError('FORBIDDEN', `this needs the ${permission} permission`);
  }
}

/** What only the platform's own processes read (the Internal API): no user, app or staff member gets it. */
export function requireService(identity: Identity): asserts identity is ServiceIdentity {
  if (identity.kind !== 'service') throw new DomainError('FORBIDDEN', "only the platform's own services read this");
}
