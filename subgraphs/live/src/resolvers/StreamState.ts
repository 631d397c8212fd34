import type { StreamStateResolvers } from './types.generated';

/** The enum's values as the domain stores them. */
export const StreamState: StreamStateResolvers = {
  OFFLINE: 'offline',
  CONNECTING: 'connecting',
  LIVE: 'live',
  RECONNECTING: 'reconnecting',
  ENDED: 'ended',
};
