import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { EventBus } from '../../kernel/bus/port';
import { builtPlatformEntry } from './build';
import { childEnv } from './child-env';
import { call, signUpAndLogIn, startTestPlatform } from './platform';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/**
 * The authorization server runs as the process it is in production (`user-oauth-svc`, from the build): oidc-provider
 * is an ES module, which jest's module loader cannot load in the test's own process.
 */
async function startOAuthProcess(env: Record<string, string>): Promise<ChildProcess> {
  const entry = builtPlatformEntry();
  const child = spawn(process.execPath, [entry, 'user-oauth-svc'], {
    env: childEnv({ LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`user-oauth-svc did not start:\n${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('authorization server listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`user-oauth-svc exited with ${code}:\n${output}`));
    });
  });
  child.stdout!.resume();
  return child;
}

/**
 * The whole platform plus its authorization server, the router introspecting the server's tokens. With
 * `servedByFacade`, the server's public origin is the facade's, which forwards its paths to it (as `npm start` runs).
 */
export async function startOAuthPlatform(bus: EventBus, extraEnv: Record<string, string> = {}, options: { servedByFacade?: boolean } = {}) {
  const port = await freePort();
  const internal = `http://127.0.0.1:${port}`;
  const secrets = { OAUTH_ROUTER_CLIENT_SECRET: randomBytes(32).toString('base64url') };
  const platform = await startTestPlatform(bus, { ...secrets, OAUTH_INTROSPECTION_URL: `${internal}/oauth/introspect`, ...extraEnv });
  const issuer = options.servedByFacade ? platform.facade.url : internal;
  const child = await startOAuthProcess({
    ...secrets,
    ACCESS_TOKEN_PUBLIC_KEYS: platform.keysEnv.ACCESS_TOKEN_PUBLIC_KEYS,
    DATABASE_URL: platform.databaseUrl,
    USER_OAUTH_PORT: String(port),
    OAUTH_ISSUER: issuer,
    OAUTH_COOKIE_KEYS: randomBytes(32).toString('base64url'),
  }).catch(async (error) => {
    await platform.stop();
    throw error;
  });
  return {
    ...platform,
    issuer,
    secrets,
    publicApi: `${platform.facade.url}/public/v1`,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await platform.stop();
    },
  };
}

export type OAuthPlatform = Awaited<ReturnType<typeof startOAuthPlatform>>;

/** Cookies as a browser keeps them for one site (paths ignored: every request here goes to one origin). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** A browser's request: cookies kept, redirects not followed (the test follows them, or stops where it must). */
export async function browse(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header();
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(response);
  return response;
}

export const pkcePair = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

export interface RegisteredApp {
  clientId: string;
  clientSecret: string | null;
  redirectUri: string;
}

/** A developer registers an app through the Private API, as our web app would. */
export async function registerApp(
  api: string,
  token: string,
  options: { clientType?: 'confidential' | 'public'; redirectUris?: string[] } = {},
): Promise<RegisteredApp> {
  const redirectUris = options.redirectUris ?? ['https://app.example.test/callback'];
  const created = await call(`${api}/developer/apps`, {
    method: 'POST',
    token,
    body: { name: 'Test app', redirectUris, clientType: options.clientType ?? 'confidential' },
  });
  if (created.status !== 201) throw new Error(`app registration failed: ${created.status} ${JSON.stringify(created.body)}`);
  return { clientId: created.body.clientId, clientSecret: created.body.clientSecret, redirectUri: redirectUris[0] };
}

export const basicAuth = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A form POST to the authorization server, authenticated as `app` (HTTP Basic, or client_id alone when public). */
export async function tokenRequest(issuer: string, path: string, app: RegisteredApp | null, form: Record<string, string>) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(form);
  if (app?.clientSecret) headers.authorization = basicAuth(app.clientId, app.clientSecret);
  else if (app) body.set('client_id', app.clientId);
  const res = await fetch(`${issuer}${path}`, { method: 'POST', headers, body: body.toString() });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, body: json };
}

export interface AuthorizeOptions {
  scope: string;
  redirectUri?: string;
  challenge?: string | null;
  method?: string;
  /** Approve only these scopes on the consent step. */
  approve?: string[];
}

/**
 * The authorization-code flow as a browser drives it, up to the redirect back to the app: the app sends the user
 * to /oauth/authorize; our web app (the user's first-party session) approves on the consent step; the server
 * redirects to the app's redirect URI with the code. Returns the final redirect's URL, or the response that
 * stopped the flow.
 */
export async function authorize(
  issuer: string,
  app: RegisteredApp,
  userToken: string,
  options: AuthorizeOptions,
): Promise<{ location?: URL; stoppedAt?: Response }> {
  const jar = new CookieJar();
  const params = new URLSearchParams({
    client_id: app.clientId,
    response_type: 'code',
    redirect_uri: options.redirectUri ?? app.redirectUri,
    scope: options.scope,
    state: randomBytes(8).toString('hex'),
  });
  if (options.challenge !== null) {
    params.set('code_challenge', options.challenge ?? pkcePair().challenge);
    params.set('code_challenge_method', options.method ?? 'S256');
  }
  let response = await browse(jar, `${issuer}/oauth/authorize?${params}`);
  for (let hops = 0; hops < 10; hops++) {
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return { stoppedAt: response };
    const next = new URL(location, issuer);
    if (next.origin !== issuer) return { location: next };
    const interaction = /^\/oauth\/interaction\/([^/]+)$/.exec(next.pathname);
    if (interaction) {
      response = await browse(jar, `${issuer}/oauth/interaction/${interaction[1]}/consent`, {
        method: 'POST',
        headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(options.approve ? { scopes: options.approve } : {}),
      });
    } else {
      response = await browse(jar, next.href);
    }
  }
  throw new Error('too many redirects');
}

/** The whole flow: a code for the user's consent, exchanged for tokens. */
export async function userTokens(issuer: string, app: RegisteredApp, userToken: string, scope: string) {
  const { verifier, challenge } = pkcePair();
  const { location, stoppedAt } = await authorize(issuer, app, userToken, { scope, challenge });
  const code = location?.searchParams.get('code');
  if (!code) throw new Error(`no code: ${location?.href ?? `${stoppedAt?.status} ${await stoppedAt?.text()}`}`);
  const tokens = await tokenRequest(issuer, '/oauth/token', app, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: app.redirectUri,
    code_verifier: verifier,
  });
  if (tokens.status !== 200) throw new Error(`token exchange failed: ${tokens.status} ${JSON.stringify(tokens.body)}`);
  return tokens.body as { access_token: string; refresh_token?: string; scope?: string; expires_in: number; token_type: string };
}

export { signUpAndLogIn };
