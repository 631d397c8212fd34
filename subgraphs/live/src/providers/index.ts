import { LIVEPEER_SIGNALS, LivepeerProvider } from './livepeer';
import { LocalProvider } from './local';
import { MUX_SIGNALS, MuxProvider } from './mux';
import type { LiveProvider, LiveSignal } from './port';

export interface ProviderSettings {
  LIVE_PROVIDER: 'local' | 'mux' | 'livepeer';
  LIVE_MUX_BASE_URL: string;
  LIVE_MUX_TOKEN_ID?: string;
  LIVE_MUX_TOKEN_SECRET?: string;
  LIVE_LIVEPEER_BASE_URL: string;
  LIVE_LIVEPEER_API_KEY?: string;
}

/** The configured provider. */
export function providerFromConfig(config: ProviderSettings): LiveProvider {
  if (config.LIVE_PROVIDER === 'mux') {
    const { LIVE_MUX_TOKEN_ID: tokenId, LIVE_MUX_TOKEN_SECRET: tokenSecret } = config;
    // The config schema refuses this already; checked again so a caller building settings by hand cannot miss it.
    if (!tokenId || !tokenSecret) throw new Error('LIVE_PROVIDER=mux needs LIVE_MUX_TOKEN_ID and LIVE_MUX_TOKEN_SECRET');
    return new MuxProvider({ baseUrl: config.LIVE_MUX_BASE_URL, tokenId, tokenSecret });
  }
  if (config.LIVE_PROVIDER === 'livepeer') {
    if (!config.LIVE_LIVEPEER_API_KEY) throw new Error('LIVE_PROVIDER=livepeer needs LIVE_LIVEPEER_API_KEY');
    return new LivepeerProvider({ baseUrl: config.LIVE_LIVEPEER_BASE_URL, apiKey: config.LIVE_LIVEPEER_API_KEY });
  }
  return new LocalProvider();
}

/** The dialect each stored provider's webhooks arrive in: the local provider speaks Mux's. */
const SIGNALS_BY_PROVIDER: Readonly<Record<string, Readonly<Record<string, LiveSignal>>>> = {
  local: MUX_SIGNALS,
  mux: MUX_SIGNALS,
  livepeer: LIVEPEER_SIGNALS,
};

/**
 * The stored providers whose drops end by the reconnect window alone: Livepeer reports a drop (its `stream.idle`) and
 * nothing when the window passes, where Mux reports `idle` itself once its own window has passed.
 */
export const DROPS_END_UNREPORTED: readonly string[] = ['livepeer'];

/** The lifecycle signal of a recorded webhook, undefined for an event type the lifecycle does not handle. */
export const signalOf = (provider: string, eventType: string): LiveSignal | undefined => SIGNALS_BY_PROVIDER[provider]?.[eventType];
