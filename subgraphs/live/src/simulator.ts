import { randomUUID } from 'node:crypto';
import { fromRoot } from '../../../kernel/paths';
import { signMuxWebhook } from './providers/mux';

/** Where `npm start` writes what the simulator (`npm run live`) needs to reach the platform it started. */
export const SIMULATOR_FILE = fromRoot('.data', 'live-simulator.json');

export interface SimulatorTarget {
  /** The Private API, to find a login's channel. */
  api: string;
  webhookUrl: string;
  /** A Mux webhook secret the platform accepts. */
  secret: string;
  /** The live domain's database, where the local provider's live stream ids are. */
  databaseUrl: string;
}

/** What a streamer does, as the simulator plays it. */
export const SIMULATED_ACTIONS = ['start', 'drop', 'stop'] as const;
export type SimulatedAction = (typeof SIMULATED_ACTIONS)[number];

/** The Mux live stream events each action makes the provider send, in order. */
const EVENTS: Record<SimulatedAction, string[]> = {
  start: ['connected', 'active'],
  drop: ['disconnected'],
  stop: ['idle'],
};

/**
 * The webhooks Mux would send for `action` on the live stream `inputId`, signed with `secret` as Mux signs them:
 * each body and its Mux-Signature header, the events a millisecond apart so they keep their order.
 */
export function simulatedWebhooks(action: SimulatedAction, inputId: string, secret: string, now = new Date()) {
  return EVENTS[action].map((status, index) => {
    const body = JSON.stringify({
      type: `video.live_stream.${status}`,
      id: randomUUID(),
      created_at: new Date(now.getTime() + index).toISOString(),
      object: { type: 'live_stream', id: inputId },
      data: { id: inputId, status },
    });
    return { body, signature: signMuxWebhook(secret, body, Math.floor(now.getTime() / 1000)) };
  });
}
