import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { fromRoot } from '../../kernel/paths';
import { kafkaBusForTests } from '../support/kafka';
import { type OAuthPlatform, registerApp, startOAuthPlatform, tokenRequest } from '../support/oauth';
import { call, signUpAndLogIn } from '../support/platform';

/**
 * The developer console and the authorization server's pages (consent, `/activate`) in a real browser: Debian's
 * chromium driven by playwright-core, the authorization server served on the facade's origin as `npm start` runs
 * it. With FACES_SCREENSHOTS set, the pages are saved there as PNGs (the README's screenshots).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.FACES_SCREENSHOTS ? fromRoot(process.env.FACES_SCREENSHOTS) : undefined;
/** The look every page of ours shares (faces.css): its paper colour behind the page. */
const PAPER = 'rgb(246, 245, 250)';

describe('the developer console and the device page in a browser', () => {
  let platform: OAuthPlatform;
  let browser: Browser;

  const shoot = async (page: Page, name: string) => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };

  /** A fresh browser profile (its own cookies and session storage), reaching nothing but loopback. */
  const openPage = async (): Promise<{ context: BrowserContext; page: Page; requested: string[] }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
    return { context, page, requested };
  };

  const publicCall = (path: string, token: string) => call(`${platform.publicApi}${path}`, { token });

  beforeAll(async () => {
    platform = await startOAuthPlatform(await kafkaBusForTests('console'), {}, { servedByFacade: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('signs a developer in, registers an app, rotates its secret, and walks PKCE to a token and a Public API call', async () => {
    const developer = await signUpAndLogIn(platform.api, 'console');
    const { context, page, requested } = await openPage();
    await page.goto(`${platform.facade.url}/developer`);
    await page.fill('#sign-in input[name=login]', developer.login);
    await page.fill('#sign-in input[name=password]', developer.password);
    await page.click('#sign-in button');
    await page.locator('#register').waitFor();
    expect(await page.textContent('#who')).toBe(developer.login);

    // The console suggests its own callback as the app's redirect URI.
    const callback = `${platform.facade.url}/developer/callback`;
    expect(await page.inputValue('#register textarea[name=redirectUris]')).toBe(callback);
    await page.fill('#register input[name=name]', 'Console app');
    await page.selectOption('#register select[name=clientType]', 'confidential');
    await page.click('#register button[type=submit]');
    const row = page.locator('#apps tbody tr', { hasText: 'Console app' });
    await row.waitFor();
    const clientId = (await row.getAttribute('data-client-id'))!;
    expect(await row.locator('.client-id').textContent()).toBe(clientId);
    const firstSecret = (await page.textContent('#secret'))!;
    expect(firstSecret.length).toBeGreaterThan(20);

    // Rotating shows a new secret, once; the old one stops working, and no listing carries either.
    page.once('dialog', (dialog) => dialog.accept());
    await row.getByRole('button', { name: 'Rotate secret' }).click();
    await page.waitForFunction(`document.getElementById('secret').textContent !== ${JSON.stringify(firstSecret)}`);
    const secret = (await page.textContent('#secret'))!;
    const appAs = (clientSecret: string) => ({ clientId, clientSecret, redirectUri: callback });
    expect((await tokenRequest(platform.issuer, '/oauth/token', appAs(firstSecret), { grant_type: 'client_credentials' })).status).toBe(
      401,
    );
    expect((await tokenRequest(platform.issuer, '/oauth/token', appAs(secret), { grant_type: 'client_credentials' })).status).toBe(200);
    const listed = await call(`${platform.api}/developer/apps`, { token: developer.token });
    expect(listed.body.find((app: { clientId: string }) => app.clientId === clientId).clientSecret ?? null).toBeNull();
    await shoot(page, 'console');

    // The flow: to the authorization server (on this origin), whose consent page finds the session of this tab.
    await row.getByRole('button', { name: 'Try the flow' }).click();
    await page.check('#flow input[value="user:read:email"]');
    expect(await page.inputValue('#flow input[name=clientSecret]')).toBe(secret);
    await page.click('#flow button[type=submit]');
    await page.waitForURL(/\/oauth\/interaction\/[^/]+$/);
    await page.locator('#consent').waitFor();
    expect(await page.textContent('#app-name')).toBe('Console app');
    expect(await page.$$eval('#scopes input:checked', (boxes) => boxes.map((box) => box.getAttribute('value')))).toEqual([
      'user:read:email',
    ]);
    await shoot(page, 'consent');
    await page.click('#approve');

    await page.waitForURL(`${callback}`);
    await page.waitForSelector('#public-call:not([hidden]), #error:not([hidden])');
    expect((await page.isVisible('#error')) ? await page.textContent('#error') : 'no error').toBe('no error');
    const result = page.locator('#public-call');
    expect(await result.getAttribute('data-status')).toBe('200');
    expect(JSON.parse((await result.textContent())!)).toMatchObject({ login: developer.login, email: `${developer.login}@example.test` });
    expect(await page.locator('#steps li').count()).toBe(3);
    // The code left the address bar once spent; the verifier and the secret left the tab's storage.
    expect(page.url()).toBe(callback);
    expect(await page.evaluate("sessionStorage.getItem('platform.console.flow')")).toBeNull();
    await shoot(page, 'console-flow');
    expect(requested.filter((url) => !url.startsWith(platform.facade.url))).toEqual([]);
    await context.close();
  }, 90_000);

  it('authorizes the Public API reference with PKCE through the consent page, and tries a route with the token', async () => {
    const developer = await signUpAndLogIn(platform.api, 'reference');
    const redirectUri = `${platform.facade.url}/reference/assets/oauth2-redirect.html`;
    const app = await registerApp(platform.api, developer.token, { clientType: 'public', redirectUris: [redirectUri] });
    const { context, page, requested } = await openPage();
    await page.goto(`${platform.facade.url}/public/v1/reference`);
    await page.click('.btn.authorize');
    const flow = page.locator('.auth-container', { hasText: 'authorizationCode' });
    await flow.locator('#client_id_authorizationCode').fill(app.clientId);
    // The server grants no token for no scope at all: the developer picks one.
    await flow.locator('label[for="user:read:email-authorizationCode-checkbox-oauth2"]').click();
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      flow.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click(),
    ]);
    await popup.waitForSelector('#sign-in:not([hidden]), #consent:not([hidden])');
    if (await popup.isVisible('#sign-in')) {
      await popup.fill('#sign-in input[name=login]', developer.login);
      await popup.fill('#sign-in input[name=password]', developer.password);
      await popup.click('#sign-in button');
    }
    await popup.locator('#consent').waitFor();
    expect(await popup.textContent('#app-name')).toBe('Test app');
    await Promise.all([popup.waitForEvent('close'), popup.click('#approve')]);
    await flow.locator('.errors, button[aria-label="Remove authorization"]').first().waitFor();
    expect((await flow.locator('.errors').count()) ? await flow.locator('.errors').textContent() : 'no error').toBe('no error');
    await page.click('.btn-done');

    const operation = page.locator('.opblock', { hasText: 'GetUsers' });
    await operation.locator('.opblock-summary').click();
    await operation.locator('.try-out__btn').click();
    await operation.locator('input[placeholder="login"]').fill(developer.login);
    await operation.locator('.execute').click();
    const status = operation.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe('200');
    expect(await operation.locator('.live-responses-table tbody .microlight').first().textContent()).toContain(developer.login);
    expect(requested.filter((url) => !url.startsWith(platform.facade.url))).toEqual([]);
    await context.close();
  }, 90_000);

  it('connects a device at /activate, in the look of the other pages, the user signing in on the consent page', async () => {
    const owner = await signUpAndLogIn(platform.api, 'tv_owner');
    const tv = await registerApp(platform.api, owner.token, { clientType: 'public' });
    const device = await tokenRequest(platform.issuer, '/oauth/device', tv, { scope: 'user:read:email' });
    expect(device.body.verification_uri).toBe(`${platform.facade.url}/activate`);
    const poll = () =>
      tokenRequest(platform.issuer, '/oauth/token', tv, {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: device.body.device_code,
      });

    const { context, page, requested } = await openPage();
    await page.goto(device.body.verification_uri);
    expect(await page.textContent('h1')).toBe('Connect a device');
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe(PAPER);
    await shoot(page, 'activate');

    await page.fill('input[name=user_code]', 'BCDF-GHJK');
    await page.click('button[form="op.deviceInputForm"]');
    await page.locator('.error', { hasText: 'not right' }).waitFor();

    await page.fill('input[name=user_code]', device.body.user_code);
    await page.click('button[form="op.deviceInputForm"]');
    await page.locator('.user-code').waitFor();
    expect(await page.textContent('.user-code')).toBe(device.body.user_code);
    expect(await page.textContent('h1')).toBe('Connect Test app?');
    expect((await poll()).body.error).toBe('authorization_pending');
    await page.click('button[form="op.deviceConfirmForm"]:not([name=abort])');

    // No session in this browser yet: the consent page signs the user in first.
    await page.locator('#sign-in').waitFor();
    await page.fill('#sign-in input[name=login]', owner.login);
    await page.fill('#sign-in input[name=password]', owner.password);
    await page.click('#sign-in button');
    await page.locator('#consent').waitFor();
    await page.click('#approve');
    await page.locator('h1', { hasText: 'Device connected' }).waitFor();
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe(PAPER);

    const tokens = await poll();
    expect(tokens.status).toBe(200);
    expect((await publicCall(`/users?login=${owner.login}`, tokens.body.access_token)).body.email).toBe(`${owner.login}@example.test`);
    // Nothing but the platform's own origin: no font or script from a CDN.
    expect(requested.filter((url) => !url.startsWith(platform.facade.url))).toEqual([]);
    await context.close();
  }, 90_000);
});
