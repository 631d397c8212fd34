import { dirname } from 'node:path';
import express, { type Router } from 'express';
import { escapeHtml, FACES_CSS_FILE, facesPage } from '../../kernel/faces';
import type { ApiDocument } from './engine';

/** swagger-ui-dist's own files, served as they ship: the page loads nothing from anywhere else. */
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'oauth2-redirect.html', 'oauth2-redirect.js', 'favicon-32x32.png'];

/** Where the reference pages' shared files are served. */
export const REFERENCE_ASSETS = '/reference/assets';

interface OAuthFlow {
  authorizationUrl?: string;
  tokenUrl?: string;
  refreshUrl?: string;
}

/**
 * The document as served: the OAuth flows' URLs, written as paths of the authorization server, are made absolute
 * under its public origin, so a page on the facade's origin sends the developer to the right server.
 */
export function servedDocument(doc: ApiDocument, authorizationServer: string | undefined): unknown {
  if (!authorizationServer) return doc.openapi;
  const served = structuredClone(doc.openapi) as {
    components?: { securitySchemes?: Record<string, { flows?: Record<string, OAuthFlow> }> };
  };
  for (const scheme of Object.values(served.components?.securitySchemes ?? {})) {
    for (const flow of Object.values(scheme.flows ?? {})) {
      for (const key of ['authorizationUrl', 'tokenUrl', 'refreshUrl'] as const) {
        const value = flow[key];
        if (value?.startsWith('/')) flow[key] = new URL(value, authorizationServer).href;
      }
    }
  }
  return served;
}

/** A page of the facade's own, in the look every page of ours shares. */
export const page = (title: string, body: string, head = '') =>
  facesPage(title, body, {
    stylesheet: `${REFERENCE_ASSETS}/faces.css`,
    head: `<link rel="icon" href="${REFERENCE_ASSETS}/favicon-32x32.png">${head ? `\n${head}` : ''}`,
  });

/** The script that starts Swagger UI on a page: a file of ours, so the pages need no inline script. */
const STARTER = `(() => {
  const root = document.getElementById('reference');
  window.ui = SwaggerUIBundle({
    url: root.dataset.document,
    dom_id: '#reference',
    deepLinking: true,
    // Each route is an operation id, the persisted GraphQL operation it runs.
    displayOperationId: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
    oauth2RedirectUrl: new URL('${REFERENCE_ASSETS}/oauth2-redirect.html', location.href).href,
  });
  // Public clients (a developer trying a route) prove the code is theirs with PKCE, as the server requires.
  window.ui.initOAuth({ usePkceWithAuthorizationCodeGrant: true, clientId: root.dataset.clientId || '' });
})();
`;

/** An API's pages under its own root (its mount path): the OpenAPI document and its reference page. */
export const documentPages = (root: string) => ({ document: `${root}/openapi.json`, reference: `${root}/reference` });

/**
 * Each API's OpenAPI document at `<root>/openapi.json` and its reference page at `<root>/reference`, plus an index
 * of them at `/reference`.
 */
export function referenceRoutes(documents: ApiDocument[], authorizationServer: string | undefined): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  const documentation = (res: express.Response) => res.setHeader('cache-control', 'public, max-age=300');
  for (const file of SWAGGER_UI_FILES) {
    router.get(`${REFERENCE_ASSETS}/${file}`, (_req, res) => {
      documentation(res);
      res.sendFile(file, { root: SWAGGER_UI_DIR });
    });
  }
  router.get(`${REFERENCE_ASSETS}/faces.css`, (_req, res) => {
    documentation(res);
    res.sendFile(FACES_CSS_FILE);
  });
  router.get(`${REFERENCE_ASSETS}/start.js`, (_req, res) => {
    documentation(res);
    res.type('text/javascript').send(STARTER);
  });
  const listed: string[] = [];
  for (const doc of documents) {
    const pages = documentPages(doc.openapi.servers?.[0]?.url as string);
    const served = JSON.stringify(servedDocument(doc, authorizationServer));
    const title = `${doc.openapi.info.title} ${doc.openapi.info.version}`;
    router.get(pages.document, (_req, res) => {
      documentation(res);
      res.type('application/json').send(served);
    });
    router.get(pages.reference, (_req, res) => {
      documentation(res);
      res.type('html').send(
        page(
          title,
          `<div id="reference" data-document="${escapeHtml(pages.document)}"></div>
<script src="${REFERENCE_ASSETS}/swagger-ui-bundle.js"></script>
<script src="${REFERENCE_ASSETS}/start.js"></script>`,
          `<link rel="stylesheet" href="${REFERENCE_ASSETS}/swagger-ui.css">`,
        ),
      );
    });
    listed.push(
      `<li><a href="${escapeHtml(pages.reference)}">${escapeHtml(title)}</a> (<a href="${escapeHtml(pages.document)}">openapi.json</a>)</li>`,
    );
  }
  router.get('/reference', (_req, res) => {
    documentation(res);
    res.type('html').send(page('API reference', `<main class="faces card"><h1>API reference</h1><ul>${listed.join('')}</ul></main>`));
  });
  return router;
}
