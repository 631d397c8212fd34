import { LocalProvider } from './local';
import { MuxProvider } from './mux';
import type { LiveProvider } from './port';

export interface ProviderSettings {
  LIVE_PROVIDER: 'local' | 'mux';
  LIVE_MUX_BASE_URL: string;
  LIVE_MUX_TOKEN_ID?: string;
  LIVE_MUX_TOKEN_SECRET?: string;
}

/** The configured provider (config has checked that Mux's credentials are there when it is chosen). */
export function providerFromConfig(config: ProviderSettings): LiveProvider {
  if (config.LIVE_PROVIDER === 'mux') {
    return new MuxProvider({ baseUrl: config.LIVE_MUX_BASE_URL, tokenId: config.LIVE_MUX_TOKEN_ID!, tokenSecret: config.LIVE_MUX_TOKEN_SECRET! });
  }
  return new LocalProvider();
}
