import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { fromRoot } from '../../kernel/paths';
import { loadApiDocuments } from '../../rest-facade/src/app';
import { bootstrapFirstAdmin } from '../../subgraphs/user/src';
import { totpCode } from '../../subgraphs/user/src/services/totp';
import { kafkaBusForTests } from '../support/kafka';
import { call, signUpAndLogIn, startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * The pages people meet, in a real browser: Debian's chromium (`.ci/run` installs it), driven by playwright-core,
 * which downloads no browser of its own. With FACES_SCREENSHOTS set, each page is saved there as a PNG (the README's
 * screenshots: `FACES_SCREENSHOTS=docs/screenshots`).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.FACES_SCREENSHOTS ? fromRoot(process.env.FACES_SCREENSHOTS) : undefined;

describe('the pages in a browser', () => {
  let platform: TestPlatform;
  let browser: Browser;
  let page: Page;
  const password = 'a-good-password';

  const shoot = async (name: string) => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  };

  beforeAll(async () => {
    platform = await startTestPlatform(await kafkaBusForTests('faces'));
    // No network but loopback: a page that reached for a CDN would fail to render.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it.each(loadApiDocuments().map((doc) => [doc.name, doc] as const))(
    'renders every route of the %s reference',
    async (_name, doc) => {
      const root = doc.openapi.servers?.[0]?.url as string;
      const routes = Object.values(doc.openapi.paths ?? {}).flatMap((item) =>
        Object.entries(item ?? {}).flatMap(([method, op]) =>
          op && typeof op === 'object' && 'operationId' in op ? [`${method.toUpperCase()} ${String(op.operationId)}`] : [],
        ),
      );
      await page.goto(`${platform.facade.url}${root}/reference`);
      await page.waitForSelector('.opblock');
      const rendered = await page.$$eval('.opblock', (blocks) =>
        blocks.map(
          (b) =>
            `${b.querySelector('.opblock-summary-method')?.textContent} ${b.querySelector('.opblock-summary-operation-id')?.textContent}`,
        ),
      );
      expect(rendered.sort()).toEqual(routes.sort());
      if (doc.name === 'public.v1') {
        await page.click('.btn.authorize');
        await page.waitForSelector('.auth-container');
        expect(await page.textContent('.auth-container')).toContain('authorizationCode');
        await shoot('reference');
      }
    },
    60_000,
  );

  it('signs staff in with a TOTP code, runs a query, shows its result, and audits it', async () => {
    const admin = await signUpAndLogIn(platform.api, 'explorer');
    const secret = (await bootstrapFirstAdmin(platform.databaseUrl, admin.login)).totpSecret;
    await page.goto(`${platform.facade.url}/admin/explorer`);
    await page.fill('input[name=login]', admin.login);
    await page.fill('input[name=password]', password);
    await page.fill('input[name=totpCode]', totpCode(secret));
    await page.click('#sign-in button');
    await page.waitForSelector('.graphiql-execute-button');
    expect(await page.textContent('#who')).toContain('graph:explore');
    await page.click('.graphiql-execute-button');
    await page.locator('.result-window', { hasText: '"__typename": "Query"' }).waitFor();
    await shoot('explorer');

    const session = await call(`${platform.facade.url}/admin/v1/sessions`, {
      method: 'POST',
      body: { login: admin.login, password, totpCode: totpCode(secret, Date.now() + 30_000) },
    });
    const log = await call(`${platform.facade.url}/admin/v1/audit-log?action=graph.explored&actorId=${admin.id}`, {
      token: session.body.accessToken,
    });
    expect(log.body.data.map((record: { details: string }) => JSON.parse(record.details).document)).toContainEqual(
      expect.stringContaining('__typename'),
    );
  }, 60_000);

  it('gives nothing to anyone but staff', async () => {
    const user = await signUpAndLogIn(platform.api, 'outsider');
    await page.goto(`${platform.facade.url}/admin/explorer`);
    await page.fill('input[name=login]', user.login);
    await page.fill('input[name=password]', password);
    await page.fill('input[name=totpCode]', '123456');
    await page.click('#sign-in button');
    await page.locator('#sign-in-error', { hasText: /\S/ }).waitFor();
    expect(await page.isVisible('.graphiql-execute-button')).toBe(false);

    // A user's own session token sent straight to the explorer's endpoint: the persisted-only refusal, no data.
    const asked = await call(`${platform.facade.url}/admin/explorer/graphql`, {
      method: 'POST',
      token: user.token,
      body: { query: '{ __schema { queryType { name } } }' },
    });
    expect(asked.status).toBe(400);
    expect(asked.body.data).toBeUndefined();
    expect(asked.body.errors[0].extensions.code).toBe('OPERATION_NOT_PERSISTED');
  }, 60_000);
});
