import type { ClipStateResolvers } from './types.generated';

/** The enum's values as the domain stores them. */
export const ClipState: ClipStateResolvers = {
  PROCESSING: 'processing',
  READY: 'ready',
  FAILED: 'failed',
};
