import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAllProcesses } from '../../bin/everything';
import { portsEnv } from '../../bin/processes';
import type { EventBus } from '../../kernel/bus/port';
import { generatedKeysEnv, KEY_VARIABLES, signingKey } from '../../kernel/keys';
import { createLogger } from '../../kernel/log';
import { createScratchDatabase } from './database';

/** The database behind each running test platform's Private API, by the API's URL. */
const databaseOfApi = new Map<string, string>();

/** Every process of the platform in the test's process, on free ports, against a scratch database and `bus`. */
export async function startTestPlatform(bus: EventBus, extraEnv: Record<string, string> = {}) {
  const database = await createScratchDatabase();
  const mailDir = mkdtempSync(join(tmpdir(), 'platform-mail-'));
  const keysEnv = generatedKeysEnv(extraEnv);
  const running = await startAllProcesses({
    env: {
      DATABASE_URL: database.url,
      ...keysEnv,
      OAUTH_ROUTER_CLIENT_SECRET: randomBytes(32).toString('base64url'),
      LIVE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...portsEnv(0),
      // Every test logs in from 127.0.0.1; the per-address limit has a test of its own.
      LOGIN_IP_ATTEMPTS_PER_MINUTE: '10000',
      SIGNUP_ADDRESS_PER_HOUR: '10000',
      MAIL_DIR: mailDir,
      ...extraEnv,
    },
    bus,
    logger: createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent'),
    // Run from the build as a process of its own (test/support/oauth.ts): oidc-provider is an ES module.
    without: ['user-oauth-svc'],
  });
  const { processes } = running;
  const api = `${processes['rest-facade-gtw'].url}/private/v1`;
  databaseOfApi.set(api, database.url);
  return {
    ...running,
    user: processes['user-store-svc'],
    chnl: processes['chnl-store-svc'],
    chat: processes['chat-store-svc'],
    live: processes['live-store-svc'],
    router: processes['router-gtw'],
    facade: processes['rest-facade-gtw'],
    rt: processes['rt-gtw'],
    /** The key variables the platform runs with, for processes a test starts beside it. */
    keysEnv,
    /** The private keys of the platform's issuers, for tests that sign what only an issuer could. */
    keys: {
      access: signingKey(KEY_VARIABLES.access.signing).parse(keysEnv[KEY_VARIABLES.access.signing]),
      staff: signingKey(KEY_VARIABLES.staff.signing).parse(keysEnv[KEY_VARIABLES.staff.signing]),
      identity: signingKey(KEY_VARIABLES.identity.signing).parse(keysEnv[KEY_VARIABLES.identity.signing]),
    },
    databaseUrl: database.url,
    /** Where the user domain writes the mail it sends (read it with `mailsTo`). */
    mailDir,
    api,
    stop: async () => {
      databaseOfApi.delete(api);
      for (const part of running.parts) await part.stop();
      await bus.close();
      await database.drop();
      rmSync(mailDir, { recursive: true, force: true });
    },
  };
}

export type TestPlatform = Awaited<ReturnType<typeof startTestPlatform>>;

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A REST call as a client makes it; `body` is sent as JSON unless it is already a string. */
export async function call<T = any>(
  url: string,
  options: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(url, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body: body as T };
}

export const uniqueLogin = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`.slice(0, 25);

/**
 * A new account, signed in. On a test platform's API its email address is verified first (unless `verified` is
 * false), as if its owner had followed the mailed link (that path has its own tests): unverified accounts are
 * limited. Elsewhere it is not.
 */
export async function signUpAndLogIn(api: string, prefix: string, { verified = true }: { verified?: boolean } = {}) {
  const login = uniqueLogin(prefix);
  const password = 'a-good-password';
  const created = await call(`${api}/users`, { method: 'POST', body: { login, email: `${login}@example.test`, password } });
  if (created.status !== 201) throw new Error(`sign-up failed: ${created.status} ${JSON.stringify(created.body)}`);
  const databaseUrl = databaseOfApi.get(api);
  if (databaseUrl && verified) await markEmailVerified(databaseUrl, created.body.id as string);
  const session = await call(`${api}/sessions`, { method: 'POST', body: { login, password } });
  if (session.status !== 201) throw new Error(`login failed: ${session.status} ${JSON.stringify(session.body)}`);
  return { login, password, id: created.body.id as string, token: session.body.accessToken as string };
}

/** Marks an account's email address verified, as the seed does for the demo accounts. */
export async function markEmailVerified(databaseUrl: string, userId: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('UPDATE "user".account SET email_verified_at = now() WHERE id = $1', [userId]);
  } finally {
    await client.end();
  }
}
