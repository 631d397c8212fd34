import { dirname, join } from 'node:path';
import express, { type Router } from 'express';
import { REQUEST_ID_HEADER } from '../../kernel/identity';
import { fromRoot } from '../../kernel/paths';
import { loadPersistedOperations } from '../../kernel/persisted';
import { traceHeaders } from '../../kernel/tracing';
import { page } from './reference';

/** Where the admins' GraphQL explorer is served. */
export const EXPLORER_PATH = '/admin/explorer';

/** GraphiQL and React as their packages ship them (UMD builds): nothing is fetched from anywhere else. */
const packageFile = (name: string, file: string) => join(dirname(require.resolve(`${name}/package.json`)), file);
const VENDOR: Record<string, string> = {
  'react.js': packageFile('react', 'umd/react.production.min.js'),
  'react-dom.js': packageFile('react-dom', 'umd/react-dom.production.min.js'),
  'graphiql.js': packageFile('graphiql', 'graphiql.min.js'),
  'graphiql.css': packageFile('graphiql', 'graphiql.min.css'),
};

const PUBLIC_DIR = fromRoot('rest-facade', 'public');

/** The persisted queries of every API, offered as examples: what the platform's own clients run. */
function examples(): { api: string; name: string; query: string }[] {
  return [...loadPersistedOperations().values()]
    .filter((operation) => operation.type === 'query')
    .flatMap((operation) => operation.apis.map((api) => ({ api, name: operation.name, query: operation.body })))
    .sort((a, b) => a.api.localeCompare(b.api) || a.name.localeCompare(b.name));
}

/**
 * The explorer: GraphiQL on the facade's origin, where the staff member signs in through the Admin API
 * (`POST /admin/v1/sessions`, login, password and TOTP code), and whose queries go to the router with the staff
 * token. The router decides everything: only staff with `graph:explore` and a fresh second factor run their own
 * documents, each audited before it runs; anyone else gets the persisted-only refusal.
 */
export function explorerRoutes(routerUrl: string): Router {
  const router = express.Router({ caseSensitive: true });
  const listed = JSON.stringify(examples());
  for (const [file, path] of Object.entries(VENDOR)) {
    router.get(`${EXPLORER_PATH}/vendor/${file}`, (_req, res) => {
      res.setHeader('cache-control', 'public, max-age=300');
      res.sendFile(path);
    });
  }
  for (const file of ['explorer.js']) {
    router.get(`${EXPLORER_PATH}/${file}`, (_req, res) => {
      res.setHeader('cache-control', 'no-cache');
      res.sendFile(file, { root: PUBLIC_DIR });
    });
  }
  router.get(`${EXPLORER_PATH}/examples.json`, (_req, res) => {
    res.type('application/json').send(listed);
  });
  router.post(`${EXPLORER_PATH}/graphql`, express.json({ limit: '64kb' }), async (req, res) => {
    const answer = await fetch(routerUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [REQUEST_ID_HEADER]: req.id,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        ...traceHeaders(),
      },
      body: JSON.stringify({ query: req.body?.query, operationName: req.body?.operationName, variables: req.body?.variables }),
      signal: AbortSignal.timeout(30_000),
    }).catch(() => undefined);
    if (!answer) {
      res.status(502).json({ errors: [{ message: 'the router did not answer', extensions: { code: 'UNAVAILABLE' } }] });
      return;
    }
    res
      .status(answer.status)
      .type(answer.headers.get('content-type') ?? 'application/json')
      .send(Buffer.from(await answer.arrayBuffer()));
  });
  router.get(EXPLORER_PATH, (_req, res) => {
    res.type('html').send(
      page(
        'GraphQL explorer',
        `<div id="explorer" class="faces">
<header class="bar"><strong>GraphQL explorer</strong><span id="who"></span></header>
<form id="sign-in" class="card" autocomplete="off">
<h1>Staff sign-in</h1>
<label>Login <input name="login" required autocomplete="username"></label>
<label>Password <input name="password" type="password" required autocomplete="current-password"></label>
<label>Authenticator code <input name="totpCode" inputmode="numeric" pattern="[0-9]{6}" required></label>
<button type="submit">Sign in</button>
<p id="sign-in-error" class="error" role="alert"></p>
</form>
<div id="examples" hidden><label>Example <select id="example"><option value="">persisted queries…</option></select></label></div>
<div id="graphiql" hidden></div>
</div>
<script src="${EXPLORER_PATH}/vendor/react.js"></script>
<script src="${EXPLORER_PATH}/vendor/react-dom.js"></script>
<script src="${EXPLORER_PATH}/vendor/graphiql.js"></script>
<script src="${EXPLORER_PATH}/explorer.js"></script>`,
        `<link rel="stylesheet" href="${EXPLORER_PATH}/vendor/graphiql.css">`,
      ),
    );
  });
  return router;
}
