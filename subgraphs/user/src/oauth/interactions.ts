import express, { type NextFunction, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { verifyAccessToken } from '../../../../kernel/identity';
import { facesPage } from '../../../../kernel/faces';
import type { VerificationKeys } from '../../../../kernel/keys';
import { isScope, PUBLIC_API_RESOURCE, SCOPES } from '../../../../kernel/scopes';
import { OAUTH_ASSETS } from './pages';

class InteractionRefused extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The consent step, driven by our own apps: the user is the one whose first-party session (the Private API access
 * token, `Authorization: Bearer`) calls these endpoints, which logs them in to the authorization server and
 * approves the scopes the app asked for. The browser's interaction cookie ties the call to the pending request.
 *
 * - `GET  /oauth/interaction/:uid`          what the app asks for (client, scopes), for the consent screen; to a
 *                                           browser asking for HTML, that screen (consent.js);
 * - `POST /oauth/interaction/:uid/consent`  approves the requested scopes, or the subset in `scopes` (JSON array
 *                                           or a space-separated form field), and redirects back into the server;
 * - `POST /oauth/interaction/:uid/deny`     refuses: the app gets `access_denied`.
 */
export function interactionRoutes(provider: Provider, accessTokenKeys: VerificationKeys): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '16kb' }), express.urlencoded({ extended: false, limit: '16kb' }));

  const sessionUser = async (req: Request): Promise<string> => {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(req.headers.authorization ?? '');
    // A browser's consent form cannot set a header: it sends the token as the form-encoded body parameter
    // `access_token` (RFC 6750 §2.2), never in the URL.
    const formToken = !req.headers.authorization && req.is('application/x-www-form-urlencoded') ? req.body?.access_token : undefined;
    const token = match?.[1] ?? (typeof formToken === 'string' && formToken ? formToken : undefined);
    const verified = token ? await verifyAccessToken(accessTokenKeys, token) : undefined;
    if (!verified?.ok) throw new InvalidSession();
    return verified.claims.userId;
  };

  const pending = async (req: Request, res: Response) => {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== req.params.uid)
      throw new InteractionRefused(400, 'invalid_request', 'the interaction cookie names another interaction');
    const client = await provider.Client.find(String(details.params.client_id));
    if (!client) throw new InteractionRefused(400, 'invalid_client', 'the app no longer exists');
    const asked = String(details.params.scope ?? '').split(' ');
    // `openid` (an ID token naming the user) comes with any consent; it grants nothing on the Public API.
    return { details, client, requested: asked.filter(isScope), openid: asked.includes('openid') };
  };

  router.get('/:uid', async (req, res) => {
    // A browser sent here by the server gets the consent page, whose script asks the same URL for JSON.
    if (!req.headers.authorization && req.accepts(['json', 'html']) === 'html') {
      res.type('html').send(consentPage());
      return;
    }
    await sessionUser(req);
    const { details, client, requested } = await pending(req, res);
    res.json({
      uid: details.uid,
      prompt: details.prompt.name,
      client: { clientId: client.clientId, name: client.clientName ?? client.clientId },
      scopes: requested.map((scope) => ({ scope, description: SCOPES[scope] })),
    });
  });

  router.post('/:uid/consent', async (req, res) => {
    const accountId = await sessionUser(req);
    const { details, client, requested, openid } = await pending(req, res);
    const chosen = chosenScopes(req.body);
    const approved = chosen ? requested.filter((scope) => chosen.has(scope)) : requested;

    const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    const grant = existing && existing.accountId === accountId ? existing : new provider.Grant({ accountId, clientId: client.clientId });
    // The scopes are the server's own (listed in discovery) and the Public API's: granted, or refused, as both.
    const refused = requested.filter((scope) => !approved.includes(scope));
    if (openid) grant.addOIDCScope('openid');
    if (approved.length) {
      grant.addOIDCScope(approved.join(' '));
      grant.addResourceScope(PUBLIC_API_RESOURCE, approved.join(' '));
    }
    if (refused.length) {
      grant.rejectOIDCScope(refused.join(' '));
      grant.rejectResourceScope(PUBLIC_API_RESOURCE, refused.join(' '));
    }
    const grantId = await grant.save();
    const redirectTo = await provider.interactionResult(
      req,
      res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    res.redirect(303, redirectTo);
  });

  router.post('/:uid/deny', async (req, res) => {
    await sessionUser(req);
    await pending(req, res);
    const redirectTo = await provider.interactionResult(
      req,
      res,
      { error: 'access_denied', error_description: 'the user refused' },
      { mergeWithLastSubmission: false },
    );
    res.redirect(303, redirectTo);
  });

  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (error instanceof InvalidSession) {
      res
        .status(401)
        .set('www-authenticate', 'Bearer error="invalid_token"')
        .json({ error: 'invalid_token', error_description: error.message });
      return;
    }
    if (error instanceof InteractionRefused) {
      res.status(error.status).json({ error: error.error, error_description: error.message });
      return;
    }
    if (error instanceof errors.SessionNotFound || error instanceof errors.OIDCProviderError) {
      res.status(400).json({
        error: 'invalid_request',
        error_description: 'no such pending authorization (expired, finished, or the interaction cookie is missing)',
      });
      return;
    }
    req.log.error({ err: error }, 'interaction failed');
    res.status(500).json({ error: 'server_error' });
  });
  return router;
}

/**
 * The consent screen: the user signs in with their account (the Private API's sessions, on this origin, the
 * facade serving the authorization server), sees the app and what it asks for, and approves or refuses.
 */
const consentPage = () =>
  facesPage(
    'Allow access',
    `<div class="faces">
<header class="bar"><strong>Allow access</strong><span id="who"></span></header>
<form id="sign-in" class="card" hidden>
<h1>Sign in to continue</h1>
<label>Login <input name="login" required autocomplete="username"></label>
<label>Password <input name="password" type="password" required autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>
<form id="consent" class="card" method="post" hidden>
<h1><span id="app-name"></span> wants to access your account</h1>
<p class="muted">It may:</p>
<ul id="scopes" class="scopes"></ul>
<input type="hidden" name="access_token">
<input type="hidden" name="scope">
<div class="actions"><button type="submit" id="approve">Allow</button><button type="submit" id="deny" class="secondary">Deny</button></div>
</form>
<p id="consent-error" class="error card" role="alert" hidden></p>
</div>
<script src="${OAUTH_ASSETS}/consent.js"></script>`,
    { stylesheet: `${OAUTH_ASSETS}/faces.css` },
  );

class InvalidSession extends Error {
  constructor() {
    super('a first-party session (Authorization: Bearer <access token>) is required');
  }
}

/** The scopes the user kept, if they narrowed the request: `{ "scopes": [...] }` or a form field `scope=a b`. */
function chosenScopes(body: unknown): Set<string> | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { scopes, scope } = body as { scopes?: unknown; scope?: unknown };
  if (Array.isArray(scopes)) return new Set(scopes.filter((s): s is string => typeof s === 'string'));
  if (typeof scope === 'string') return new Set(scope.split(' ').filter(Boolean));
  return undefined;
}
