import type { KoaContextWithOIDC } from 'oidc-provider';
import { escapeHtml, facesPage } from '../../../../kernel/faces';

/** Where the authorization server serves its pages' files (the shared stylesheet, the consent script). */
export const OAUTH_ASSETS = '/oauth/assets';

const page = (title: string, body: string) =>
  facesPage(title, `<div class="faces">\n<header class="bar"><strong>${escapeHtml(title)}</strong></header>\n${body}\n</div>`, {
    stylesheet: `${OAUTH_ASSETS}/faces.css`,
  });

const appName = (ctx: KoaContextWithOIDC) => escapeHtml(ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? 'the app');

/**
 * The device flow's pages at `/activate`, in the look of the platform's other pages (oidc-provider's own load a
 * font from Google's CDN). `form` is the library's: its hidden fields carry the CSRF token and the code.
 */
export const devicePages = {
  async userCodeInputSource(ctx: KoaContextWithOIDC, form: string, _out?: unknown, err?: { name?: string; userCode?: string }) {
    let message = '<p>Enter the code your TV, console or device shows.</p>';
    if (err && (err.userCode || err.name === 'NoCodeError'))
      message = '<p class="error" role="alert">That code is not right, or has expired. Check it and try again.</p>';
    else if (err?.name === 'AbortedError') message = '<p class="error" role="alert">The sign-in was cancelled.</p>';
    else if (err) message = '<p class="error" role="alert">Something went wrong with that request. Start again on your device.</p>';
    ctx.type = 'html';
    ctx.body = page(
      'Connect a device',
      `<main class="card device">
<h1>Connect a device</h1>
${message}
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>
</main>`,
    );
  },

  async userCodeConfirmSource(ctx: KoaContextWithOIDC, form: string, _client: unknown, _deviceInfo: unknown, userCode: string) {
    ctx.type = 'html';
    ctx.body = page(
      'Connect a device',
      `<main class="card device">
<h1>Connect ${appName(ctx)}?</h1>
<p>Check that your device shows this code:</p>
<p class="user-code">${escapeHtml(userCode)}</p>
<p class="muted">If you did not start this on a device of yours, or the code differs, cancel.</p>
${form}
<div class="actions">
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes" class="secondary">Cancel</button>
</div>
</main>`,
    );
  },

  async successSource(ctx: KoaContextWithOIDC) {
    ctx.type = 'html';
    ctx.body = page(
      'Connect a device',
      `<main class="card device">
<h1>Device connected</h1>
<p class="success">${appName(ctx)} is now signed in to your account. You can close this page and return to your device.</p>
</main>`,
    );
  },
};

/** Errors shown to a browser (an unknown client, a bad redirect URI): the same look, and only what is fit to show. */
export async function renderError(ctx: KoaContextWithOIDC, out: { error?: string; error_description?: string }) {
  ctx.type = 'html';
  ctx.body = page(
    'Sign-in problem',
    `<main class="card">
<h1>This request cannot continue</h1>
<p class="error" role="alert">${escapeHtml(out.error_description ?? out.error ?? 'an error occurred')}</p>
<p class="muted"><code>${escapeHtml(out.error ?? 'server_error')}</code></p>
</main>`,
  );
}
