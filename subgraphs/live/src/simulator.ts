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
export const SIMULATED_ACTIONS = ['start', 'drop', 'stop', 'recording'] as const;
export type SimulatedAction = (typeof SIMULATED_ACTIONS)[number];

/** The Mux events each action makes the provider send, in order: `recording` is the stream's recorded asset. */
const EVENTS: Record<SimulatedAction, string[]> = {
  start: ['video.live_stream.connected', 'video.live_stream.active'],
  drop: ['video.live_stream.disconnected'],
  stop: ['video.live_stream.idle'],
  recording: ['video.asset.created', 'video.asset.ready'],
};

/**
 * The webhooks Mux would send for `action` on the live stream `inputId`, signed with `secret` as Mux signs them:
 * each body and its Mux-Signature header, the events a millisecond apart so they keep their order.
 */
export function simulatedWebhooks(action: SimulatedAction, inputId: string, secret: string, now = new Date()) {
  const assetId = randomUUID();
  return EVENTS[action].map((type, index) => {
    const status = type.slice(type.lastIndexOf('.') + 1);
    const asset = type.startsWith('video.asset.');
    const body = JSON.stringify({
      type,
      id: randomUUID(),
      created_at: new Date(now.getTime() + index).toISOString(),
      object: asset ? { type: 'asset', id: assetId } : { type: 'live_stream', id: inputId },
      data: asset
        ? {
            id: assetId,
            status: status === 'created' ? 'preparing' : status,
            live_stream_id: inputId,
            ...(status === 'ready' ? { duration: 120.5, playback_ids: [{ id: randomUUID().replaceAll('-', ''), policy: 'public' }] } : {}),
          }
        : { id: inputId, status },
    });
    return { body, signature: signMuxWebhook(secret, body, Math.floor(now.getTime() / 1000)) };
  });
}
