import { identities } from '../test/support/identities';
import { actingUser, actsForUser, hasPermission, requirePermission, requireScope, requireVerifiedEmail } from './access';

describe('access checks', () => {
  const userId = 'b9c6a3f4-3f0e-4a47-9d1e-0c2b1f8a7e11';

  it('should find a user behind a session and a consented app only', () => {
    expect([identities.session(userId), identities.oauth(userId, [])].map(actingUser)).toEqual([userId, userId]);
    for (const caller of [identities.anonymous(), identities.oauth(undefined, ['chat:edit']), identities.staff(userId, ['users:read'])]) {
      expect(actsForUser(caller)).toBe(false);
      expect(() => actingUser(caller)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    }
  });

  it('should let a session do anything a scope guards, and an app only what it was granted', () => {
    expect(() => requireScope(identities.session(userId), 'chat:edit')).not.toThrow();
    expect(() => requireScope(identities.oauth(userId, ['chat:edit']), 'chat:edit')).not.toThrow();
    expect(() => requireScope(identities.oauth(userId, ['chat:read']), 'chat:edit')).toThrow(
      expect.objectContaining({ code: 'INSUFFICIENT_SCOPE', fields: [{ field: 'scope', message: 'chat:edit' }] }),
    );
    expect(() => requireScope(identities.anonymous(), 'chat:edit')).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => requireScope(identities.staff(userId, ['chat:moderate']), 'chat:edit')).toThrow(
      expect.objectContaining({ code: 'INSUFFICIENT_SCOPE' }),
    );
  });

  it('should let staff act with the permission and a second factor younger than the limit', () => {
    expect(hasPermission(identities.staff(userId, ['users:read'], 10), 'users:read', 60)).toBe(true);
    expect(hasPermission(identities.staff(userId, ['users:read'], 61), 'users:read', 60)).toBe(false);
    expect(hasPermission(identities.session(userId), 'users:read', 60)).toBe(false);
    expect(() => requirePermission(identities.staff(userId, ['users:read'], 61), 'users:read', 60)).toThrow(
      expect.objectContaining({ code: 'STAFF_MFA_REQUIRED' }),
    );
    expect(() => requirePermission(identities.staff(userId, ['audit:read']), 'users:read', 60)).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', message: 'this needs the users:read permission' }),
    );
    expect(() => requirePermission(identities.oauth(userId, ['chat:edit']), 'users:read', 60)).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', message: 'staff only' }),
    );
  });

  it('should keep a user who has not verified their email from speaking, through our apps and through third-party apps alike', () => {
    const unverified = [identities.session(userId, false), identities.oauth(userId, ['chat:edit'], 'third-party-app', false)];
    for (const caller of unverified) {
      expect(() => requireVerifiedEmail(caller)).toThrow(expect.objectContaining({ code: 'USER_EMAIL_NOT_VERIFIED' }));
    }
    for (const caller of [identities.session(userId), identities.oauth(userId, ['chat:edit'])]) {
      expect(() => requireVerifiedEmail(caller)).not.toThrow();
    }
  });
});
