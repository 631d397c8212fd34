import type { KoaContextWithOIDC } from 'oidc-provider';
import { devicePages, OAUTH_ASSETS, renderError } from './pages';

/** The little of koa's context the pages use: the client, and where the page is written. */
const context = (clientName?: string) =>
  ({ oidc: { client: { clientId: 'client-1', clientName } }, type: '', body: '' }) as unknown as KoaContextWithOIDC & { body: string };

const FORM = '<form id="op.deviceInputForm" method="post" action="/activate"><input type="hidden" name="xsrf" value="x"/></form>';

describe('the authorization server pages', () => {
  it('asks for the code inside the look of our pages, loading nothing from anywhere else', async () => {
    const ctx = context();
    await devicePages.userCodeInputSource(ctx, FORM);
    expect(ctx.type).toBe('html');
    expect(ctx.body).toContain(`<link rel="stylesheet" href="${OAUTH_ASSETS}/faces.css">`);
    expect(ctx.body).toContain(FORM);
    expect(ctx.body).toContain('form="op.deviceInputForm"');
    expect(ctx.body).not.toMatch(/https?:\/\//);
  });

  it.each([
    [{ name: 'NoCodeError' }, 'not right'],
    [{ userCode: 'ABCD-EFGH' }, 'not right'],
    [{ name: 'AbortedError' }, 'cancelled'],
    [{ name: 'InvalidRequest' }, 'went wrong'],
  ])('says what went wrong with a code (%o)', async (err, said) => {
    const ctx = context();
    await devicePages.userCodeInputSource(ctx, FORM, {}, err);
    expect(ctx.body).toMatch(new RegExp(`class="error" role="alert">[^<]*${said}`));
  });

  it("names the app and shows the code to compare, the app's own name written as text", async () => {
    const ctx = context('<img src=x onerror=alert(1)>');
    await devicePages.userCodeConfirmSource(ctx, '<form id="op.deviceConfirmForm"></form>', {}, {}, 'BCDF-GHJK');
    expect(ctx.body).toContain('Connect &lt;img src=x onerror=alert(1)&gt;?');
    expect(ctx.body).not.toContain('<img');
    expect(ctx.body).toContain('<p class="user-code">BCDF-GHJK</p>');
    expect(ctx.body).toContain('name="abort" value="yes"');
  });

  it('confirms the device with the app named by its id when it has no name', async () => {
    const ctx = context();
    await devicePages.successSource(ctx);
    expect(ctx.body).toContain('client-1 is now signed in to your account');
  });

  it('shows errors as text', async () => {
    const ctx = context();
    await renderError(ctx, { error: 'invalid_request', error_description: '<b>redirect_uri</b> did not match' });
    expect(ctx.body).toContain('&lt;b&gt;redirect_uri&lt;/b&gt; did not match');
    expect(ctx.body).toContain('<code>invalid_request</code>');
  });
});
