import { existsSync, readFileSync } from 'node:fs';
import { Client } from 'pg';
import {
  SIMULATED_ACTIONS,
  SIMULATOR_FILE,
  type SimulatedAction,
  type SimulatorTarget as Target,
  simulatedWebhooks,
} from '../subgraphs/live/src/simulator';

function target(): Target {
  const fromStart: Partial<Target> = existsSync(SIMULATOR_FILE) ? JSON.parse(readFileSync(SIMULATOR_FILE, 'utf8')) : {};
  const facade = process.env.REST_FACADE_URL;
  const chosen = {
    api: facade ? `${facade}/private/v1` : fromStart.api,
    webhookUrl: facade ? `${facade}/webhooks/v1/live/mux` : fromStart.webhookUrl,
    secret: process.env.LIVE_MUX_WEBHOOK_SECRET?.split(',')[0] ?? fromStart.secret,
    databaseUrl: process.env.DATABASE_URL ?? fromStart.databaseUrl,
  };
  const missing = Object.entries(chosen).filter(([, value]) => !value);
  if (missing.length) {
    throw new Error(
      `run npm start first, or set REST_FACADE_URL, LIVE_MUX_WEBHOOK_SECRET and DATABASE_URL (missing: ${missing.map(([k]) => k).join(', ')})`,
    );
  }
  return chosen as Target;
}

/**
 * A streaming provider for people: `npm run live -- simulate <login> start|drop|stop|recording` sends the signed Mux webhooks
 * a real encoder session would cause, for the channel of <login>, to the running platform, which handles them as it
 * handles Mux's. The live stream id is the local provider's, read from the live domain's table as the provider knows
 * its own.
 */
async function main([command, login, action]: string[]): Promise<number> {
  if (command !== 'simulate' || !login || !SIMULATED_ACTIONS.includes(action as SimulatedAction)) {
    console.error(`usage: npm run live -- simulate <login> ${SIMULATED_ACTIONS.join('|')}`);
    return 2;
  }
  const { api, webhookUrl, secret, databaseUrl } = target();
  const user = await fetch(`${api}/users/${encodeURIComponent(login)}`);
  const channelId = user.ok ? ((await user.json()) as { channel?: { id: string } }).channel?.id : undefined;
  if (!channelId) throw new Error(`no channel for ${login} (${user.status})`);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const input = await db
    .query<{ provider_input_id: string }>('SELECT provider_input_id FROM live.live_input WHERE channel_id = $1', [channelId])
    .finally(() => db.end());
  const inputId = input.rows[0]?.provider_input_id;
  if (!inputId) throw new Error(`${login}'s channel has no live input yet`);

  for (const { body, signature } of simulatedWebhooks(action as SimulatedAction, inputId, secret)) {
    const answer = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'mux-signature': signature },
      body,
    });
    console.log(`${JSON.parse(body).type}: ${answer.status} ${await answer.text()}`);
    if (!answer.ok) return 1;
  }
  console.log(`see it: curl ${api}/channels/${channelId}/${action === 'recording' ? 'vods' : 'stream'}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
