import express, { type Router } from 'express';
import { fromRoot } from '../../kernel/paths';
import { page } from './reference';

/** Where the developer console is served; its callback is the redirect URI the console suggests for an app. */
export const CONSOLE_PATH = '/developer';

const PUBLIC_DIR = fromRoot('rest-facade', 'public');

const shell = page(
  'Developer console',
  `<div id="console" class="faces">
<header class="bar"><strong>Developer console</strong><span><span id="who"></span> <button id="sign-out" class="link" hidden>Sign out</button></span></header>
<form id="sign-in" class="card" hidden>
<h1>Sign in</h1>
<p class="muted">With your account: the apps you register are yours.</p>
<label>Login <input name="login" required autocomplete="username"></label>
<label>Password <input name="password" type="password" required autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>
<main id="apps-view" class="wide" hidden>
<section class="card">
<h1>Your apps</h1>
<table id="apps"><thead><tr><th>Name</th><th>Client id</th><th>Type</th><th>Redirect URIs</th><th></th></tr></thead><tbody></tbody></table>
<p id="no-apps" class="muted" hidden>No app yet: register one below.</p>
<div id="secret-box" class="notice" hidden><strong>Client secret of <span id="secret-app"></span></strong>, shown this once: store it now.
<p id="secret" class="secret"></p></div>
</section>
<form id="register" class="card">
<h1>Register an app</h1>
<label>Name <input name="name" required maxlength="50"></label>
<label>Redirect URIs, one a line <textarea name="redirectUris" rows="2" required></textarea></label>
<label>Type <select name="clientType"><option value="confidential">confidential (a server keeps a secret)</option><option value="public">public (browser, mobile, TV: PKCE only)</option></select></label>
<button type="submit">Register</button>
</form>
<form id="flow" class="card" hidden>
<h1>Try the authorization-code flow</h1>
<p class="muted">As <strong id="flow-app"></strong>, with PKCE (S256): you are sent to the authorization server to allow the app, come back here with a code, exchange it for a token and call the Public API with it.</p>
<fieldset id="flow-scopes"><legend>Scopes</legend></fieldset>
<label id="flow-secret-label">Client secret <input name="clientSecret" type="password" autocomplete="off"></label>
<div class="actions"><button type="submit">Authorize</button><button type="button" id="flow-cancel" class="secondary">Cancel</button></div>
</form>
</main>
<main id="callback-view" class="card wide" hidden>
<h1>Authorization-code flow</h1>
<ol id="steps" class="steps"></ol>
<pre id="public-call" class="result" hidden></pre>
<p><a href="${CONSOLE_PATH}">Back to your apps</a></p>
</main>
<p id="error" class="error card" role="alert" hidden></p>
</div>
<script src="${CONSOLE_PATH}/console.js"></script>`,
);

/**
 * The developer console: a signed-in user registers apps through the Private API (`/private/v1/developer/apps`),
 * rotates their secrets, and walks the authorization-code flow with PKCE against the authorization server, ending
 * with a token and a first call to `/public/v1`. `/developer/callback` is the same page, finishing the flow.
 */
export function consoleRoutes(): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  router.get(`${CONSOLE_PATH}/console.js`, (_req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.sendFile('console.js', { root: PUBLIC_DIR });
  });
  for (const path of [CONSOLE_PATH, `${CONSOLE_PATH}/callback`]) {
    router.get(path, (_req, res) => {
      res.type('html').send(shell);
    });
  }
  return router;
}
