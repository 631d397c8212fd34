import { LocalProvider } from './local';
import { MuxProvider } from './mux';
import type { LiveProvider } from './port';

export interface ProviderSettings {
  LIVE_PROVIDER: 'local' | 'mux';
  LIVE_MUX_BASE_URL: string;
  LIVE_MUX_TOKEN_ID?: string;
  LIVE_MUX_TOKEN_SECRET?: string;
}

/** The configured provider. */
export function providerFromConfig(config: ProviderSettings): LiveProvider {
  if (config.LIVE_PROVIDER === 'mux') {
    const { LIVE_MUX_TOKEN_ID: tokenId, LIVE_MUX_TOKEN_SECRET: tokenSecret } = config;
    // The config schema refuses this already; checked again so a caller building settings by hand cannot miss it.
    if (!tokenId || !tokenSecret) throw new Error('LIVE_PROVIDER=mux needs LIVE_MUX_TOKEN_ID and LIVE_MUX_TOKEN_SECRET');
    return new MuxProvider({ baseUrl: config.LIVE_MUX_BASE_URL, tokenId, tokenSecret });
  }
  return new LocalProvider();
}
