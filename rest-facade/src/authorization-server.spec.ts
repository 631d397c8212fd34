import express from 'express';
import pino from 'pino';
import { createHttpApp, listen, type Listening } from '../../kernel/http';
import { createRestFacade, loadApiDocuments, type RestFacade } from './app';
import { authorizationServerRoutes } from './authorization-server';

/** What the authorization server saw of each request the facade passed on. */
interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let upstream: Listening;
let facade: RestFacade;
let server: Listening;
let seen: Seen[] = [];

beforeAll(async () => {
  // Plays user-oauth-svc: answers with several cookies, a redirect, and echoes what it received.
  const fake = express();
  fake.use(express.text({ type: () => true }));
  fake.all('/{*path}', (req, res) => {
    seen.push({ method: req.method, url: req.originalUrl, headers: req.headers, body: typeof req.body === 'string' ? req.body : '' });
    if (req.path === '/oauth/authorize') {
      res.append('set-cookie', '_interaction=a; path=/oauth/interaction/uid; httponly');
      res.append('set-cookie', '_interaction.sig=b; path=/oauth/interaction/uid; httponly');
      res.redirect(303, '/oauth/interaction/uid');
      return;
    }
    res.status(req.path === '/oauth/token' ? 400 : 200).json({ path: req.path });
  });
  upstream = await listen(fake, 0);
  facade = await createRestFacade({
    router: { url: 'http://127.0.0.1:9/graphql' },
    documents: loadApiDocuments(),
    logger: pino({ level: 'silent' }),
    authorizationServerUpstream: upstream.url,
  });
  server = await listen(facade.app, 0);
});

afterAll(async () => {
  await server.close();
  await upstream.close();
  facade.close();
});

beforeEach(() => {
  seen = [];
});

describe("the authorization server on the facade's origin", () => {
  it('passes a browser request on as it came and hands back its redirect and every cookie', async () => {
    const res = await fetch(`${server.url}/oauth/authorize?client_id=app&state=s`, {
      redirect: 'manual',
      headers: { cookie: '_session=x', accept: 'text/html', 'x-forwarded-host': 'evil.example' },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/oauth/interaction/uid');
    expect(res.headers.getSetCookie()).toEqual([
      '_interaction=a; path=/oauth/interaction/uid; httponly',
      '_interaction.sig=b; path=/oauth/interaction/uid; httponly',
    ]);
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('/oauth/authorize?client_id=app&state=s');
    expect(seen[0].headers.cookie).toBe('_session=x');
    expect(seen[0].headers['x-request-id']).toBe(res.headers.get('x-request-id'));
    // The client's own forwarding headers are not passed on; the facade names the client it saw.
    expect(seen[0].headers['x-forwarded-host']).toBeUndefined();
    expect(seen[0].headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('passes form bodies and client authentication to the token endpoint, and its answer back', async () => {
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic YTpi' },
      body: 'grant_type=authorization_code&code=c',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ path: '/oauth/token' });
    expect(seen[0]).toMatchObject({ method: 'POST', body: 'grant_type=authorization_code&code=c' });
    expect(seen[0].headers.authorization).toBe('Basic YTpi');
  });

  it.each(['/activate', '/activate/uid', '/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])(
    'serves %s from the authorization server',
    async (path) => {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ path });
    },
  );

  it('serves nothing else of it: other paths stay the API routes and their 404', async () => {
    const res = await fetch(`${server.url}/oauthx`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(seen).toEqual([]);
  });

  it('answers 502 in OAuth terms when the authorization server does not answer', async () => {
    const app = createHttpApp(pino({ level: 'silent' }), {});
    app.use(authorizationServerRoutes('http://127.0.0.1:9'));
    const alone = await listen(app, 0);
    try {
      const res = await fetch(`${alone.url}/oauth/token`, { method: 'POST', body: 'grant_type=x' });
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await alone.close();
    }
  });
});
