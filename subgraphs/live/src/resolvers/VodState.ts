import type { VodStateResolvers } from './types.generated';

/** The enum's values as the domain stores them. */
export const VodState: VodStateResolvers = {
  RECORDING: 'recording',
  READY: 'ready',
  FAILED: 'failed',
};
