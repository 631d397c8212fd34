import { readFileSync } from 'node:fs';
import pino from 'pino';
import { listen, type Listening } from '../../kernel/http';
import { fromRoot } from '../../kernel/paths';
import { createRestFacade, loadApiDocuments, type RestFacade } from './app';
import { REFERENCE_ASSETS } from './reference';

const documents = loadApiDocuments();
const AUTHORIZATION_SERVER = 'https://id.example.test';
let facade: RestFacade;
let server: Listening;

beforeAll(async () => {
  // No route runs: the router is never called.
  facade = await createRestFacade({
    router: { url: 'http://127.0.0.1:9/graphql' },
    documents,
    logger: pino({ level: 'silent' }),
    authorizationServer: AUTHORIZATION_SERVER,
  });
  server = await listen(facade.app, 0);
});

afterAll(async () => {
  await server.close();
  facade.close();
});

const get = (path: string) => fetch(`${server.url}${path}`);

describe('the OpenAPI documents', () => {
  it.each(['admin.v1', 'private.v1', 'public.v1', 'webhooks.v1'])('serves %s at its API root', async (name) => {
    const file = JSON.parse(readFileSync(fromRoot('contracts', 'openapi', `${name}.json`), 'utf8'));
    const res = await get(`${file.servers[0].url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const served = (await res.json()) as { paths: unknown; info: unknown };
    expect(served.paths).toEqual(file.paths);
    expect(served.info).toEqual(file.info);
  });

  it("names the authorization server's endpoints in the Public API's OAuth flows", async () => {
    const served = (await (await get('/public/v1/openapi.json')).json()) as {
      components: {
        securitySchemes: { oauth2: { flows: Record<string, { authorizationUrl?: string; tokenUrl: string; scopes: object }> } };
      };
    };
    const { authorizationCode, clientCredentials } = served.components.securitySchemes.oauth2.flows;
    expect(authorizationCode.authorizationUrl).toBe(`${AUTHORIZATION_SERVER}/oauth/authorize`);
    expect(authorizationCode.tokenUrl).toBe(`${AUTHORIZATION_SERVER}/oauth/token`);
    expect(clientCredentials.tokenUrl).toBe(`${AUTHORIZATION_SERVER}/oauth/token`);
    expect(Object.keys(authorizationCode.scopes)).toContain('user:read:email');
  });

  it('leaves the API routes to the API: a path under the root that is no document is still no route', async () => {
    const res = await get('/public/v1/openapi.yaml');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('the reference pages', () => {
  it.each(['/admin/v1', '/private/v1', '/public/v1', '/webhooks/v1'])('renders %s from files served here only', async (root) => {
    const res = await get(`${root}/reference`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`data-document="${root}/openapi.json"`);
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThan(2);
    for (const source of sources) {
      expect(source.startsWith('/')).toBe(true);
      expect((await get(source)).status).toBe(200);
    }
  });

  it("serves Swagger UI's bundle and the OAuth redirect page from the package", async () => {
    const bundle = await get(`${REFERENCE_ASSETS}/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    expect((await get(`${REFERENCE_ASSETS}/oauth2-redirect.html`)).status).toBe(200);
    expect((await get(`${REFERENCE_ASSETS}/package.json`)).status).toBe(404);
  });

  it('lists every API on the index', async () => {
    const html = await (await get('/reference')).text();
    for (const doc of documents) expect(html).toContain(`${doc.openapi.servers?.[0]?.url}/reference`);
  });
});
