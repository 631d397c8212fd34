import { notificationId } from './notification-id';

describe('notificationId', () => {
  const stream = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
  const user = '0e8a4f3c-1b2d-4e5f-8a9b-0c1d2e3f4a5b';

  it('is a UUID that depends on the stream and the user, not on their case', () => {
    const id = notificationId(stream, user);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(notificationId(stream.toUpperCase(), user)).toBe(id);
    expect(notificationId(user, stream)).not.toBe(id);
  });
});
