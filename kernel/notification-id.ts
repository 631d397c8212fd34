import { createHash } from 'node:crypto';

/**
 * The id of a user's notification of a stream, the same wherever it is computed: the ptfm fan-out's SQL
 * (`md5(stream || ':' || user)::uuid`) and whoever reads a ptfm.notification.created.v1 (rt-gtw), whose recipients
 * are user ids only. md5 serves as a name here, not as a secret or a signature.
 */
export function notificationId(streamId: string, userId: string): string {
  const hex = createHash('md5').update(`${streamId.toLowerCase()}:${userId.toLowerCase()}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
