// The developer console. The user's session (a Private API access token) is kept for this tab only
// (sessionStorage), where the authorization server's consent page, on the same origin, finds it too. A flow's
// PKCE verifier and state wait there while the browser visits the authorization server, and are dropped when it
// comes back; a client secret is shown once and kept only in this page's memory.
(() => {
  const $ = (id) => document.getElementById(id);
  const SESSION = 'platform.session';
  const FLOW = 'platform.console.flow';
  const CALLBACK = `${location.origin}/developer/callback`;
  const shownSecrets = new Map();
  let apps = [];
  let me;
  let server;

  const fail = (error) => {
    $('error').textContent = error instanceof Error ? error.message : String(error);
    $('error').hidden = false;
  };
  const clearError = () => {
    $('error').hidden = true;
  };

  const showSignIn = () => {
    for (const id of ['apps-view', 'callback-view', 'sign-out']) $(id).hidden = true;
    $('who').textContent = '';
    $('sign-in').hidden = false;
  };

  const api = async (path, { method = 'GET', body } = {}) => {
    const token = sessionStorage.getItem(SESSION);
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body) headers['content-type'] = 'application/json';
    const res = await fetch(`/private/v1${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const data = res.status === 204 ? undefined : await res.json().catch(() => ({}));
    if (res.status === 401) {
      sessionStorage.removeItem(SESSION);
      showSignIn();
      throw new Error('Your session has ended: sign in again.');
    }
    if (!res.ok) throw new Error(data.detail || data.title || `${method} /private/v1${path} failed (${res.status})`);
    return data;
  };

  const base64url = (bytes) =>
    btoa(String.fromCharCode(...new Uint8Array(bytes)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  const randomString = () => base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challengeOf = async (verifier) => base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));

  const authorizationServer = async () => {
    server ??= await (await fetch('/.well-known/oauth-authorization-server')).json();
    return server;
  };

  const cell = (row, content) => {
    const td = document.createElement('td');
    if (content instanceof Node) td.append(content);
    else td.textContent = content;
    row.append(td);
    return td;
  };
  const button = (label, onClick, className) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    if (className) b.className = className;
    b.addEventListener('click', () => {
      clearError();
      onClick().catch(fail);
    });
    return b;
  };
  const code = (text) => {
    const c = document.createElement('code');
    c.textContent = text;
    return c;
  };

  const showSecret = (app) => {
    shownSecrets.set(app.clientId, app.clientSecret);
    $('secret-app').textContent = app.name;
    $('secret').textContent = app.clientSecret;
    $('secret-box').hidden = false;
  };

  const renderApps = () => {
    const body = $('apps').querySelector('tbody');
    body.replaceChildren();
    for (const app of apps) {
      const row = document.createElement('tr');
      row.dataset.clientId = app.clientId;
      cell(row, app.name);
      cell(row, code(app.clientId)).className = 'client-id';
      cell(row, app.clientType);
      cell(row, app.redirectUris.join('\n')).className = 'uris';
      const actions = cell(row, '');
      actions.className = 'row-actions';
      actions.append(button('Try the flow', async () => startFlowForm(app)));
      if (app.clientType === 'confidential')
        actions.append(
          button(
            'Rotate secret',
            async () => {
              if (!confirm(`Rotate the secret of ${app.name}? The current one stops working.`)) return;
              showSecret(await api(`/developer/apps/${encodeURIComponent(app.clientId)}/secret`, { method: 'POST' }));
            },
            'secondary',
          ),
        );
      actions.append(
        button(
          'Delete',
          async () => {
            if (!confirm(`Delete ${app.name}? Its tokens stop working.`)) return;
            await api(`/developer/apps/${encodeURIComponent(app.clientId)}`, { method: 'DELETE' });
            await loadApps();
          },
          'secondary danger',
        ),
      );
      body.append(row);
    }
    $('no-apps').hidden = apps.length > 0;
    $('apps').hidden = apps.length === 0;
  };

  const loadApps = async () => {
    apps = await api('/developer/apps');
    renderApps();
  };

  let flowApp;
  const startFlowForm = async (app) => {
    flowApp = app;
    const { scopes_supported: scopes = [] } = await authorizationServer();
    $('flow-app').textContent = app.name;
    const fieldset = $('flow-scopes');
    for (const label of fieldset.querySelectorAll('label')) label.remove();
    for (const scope of scopes.filter((s) => s !== 'openid' && s !== 'offline_access')) {
      const label = document.createElement('label');
      label.className = 'check';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.name = 'scope';
      box.value = scope;
      label.append(box, ` ${scope}`);
      fieldset.append(label);
    }
    const confidential = app.clientType === 'confidential';
    $('flow-secret-label').hidden = !confidential;
    $('flow').elements.clientSecret.required = confidential;
    $('flow').elements.clientSecret.value = shownSecrets.get(app.clientId) ?? '';
    $('flow').hidden = false;
    $('flow').scrollIntoView();
  };

  $('flow-cancel').addEventListener('click', () => {
    $('flow').hidden = true;
  });

  $('flow').addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError();
    try {
      const app = flowApp;
      if (!app.redirectUris.includes(CALLBACK))
        throw new Error(`Register ${CALLBACK} as a redirect URI of ${app.name} to try the flow from here.`);
      const form = event.target;
      const scope = [...form.querySelectorAll('input[name=scope]:checked')].map((box) => box.value).join(' ');
      if (!scope) throw new Error('Choose at least one scope: the authorization server grants no token for none.');
      const verifier = randomString();
      const state = randomString();
      const { authorization_endpoint: authorize, token_endpoint: token } = await authorizationServer();
      sessionStorage.setItem(
        FLOW,
        JSON.stringify({
          clientId: app.clientId,
          clientSecret: app.clientType === 'confidential' ? form.elements.clientSecret.value : null,
          verifier,
          state,
          tokenEndpoint: token,
        }),
      );
      const params = new URLSearchParams({
        response_type: 'code',
        client_id: app.clientId,
        redirect_uri: CALLBACK,
        scope,
        state,
        code_challenge: await challengeOf(verifier),
        code_challenge_method: 'S256',
      });
      location.assign(`${authorize}?${params}`);
    } catch (error) {
      fail(error);
    }
  });

  $('register').addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError();
    const form = new FormData(event.target);
    try {
      const app = await api('/developer/apps', {
        method: 'POST',
        body: {
          name: form.get('name'),
          redirectUris: String(form.get('redirectUris'))
            .split('\n')
            .map((uri) => uri.trim())
            .filter(Boolean),
          clientType: form.get('clientType'),
        },
      });
      if (app.clientSecret) showSecret(app);
      else $('secret-box').hidden = true;
      event.target.reset();
      event.target.elements.redirectUris.value = CALLBACK;
      await loadApps();
    } catch (error) {
      fail(error);
    }
  });

  const step = (text, detail) => {
    const item = document.createElement('li');
    item.textContent = text;
    if (detail !== undefined) {
      const pre = document.createElement('pre');
      pre.className = 'result';
      pre.textContent = typeof detail === 'string' ? detail : JSON.stringify(detail, null, 2);
      item.append(pre);
    }
    $('steps').append(item);
  };

  /** Back from the authorization server: the code for a token (with the verifier), then the first Public API call. */
  const finishFlow = async () => {
    $('callback-view').hidden = false;
    const query = new URLSearchParams(location.search);
    history.replaceState(null, '', location.pathname);
    const flow = JSON.parse(sessionStorage.getItem(FLOW) ?? 'null');
    sessionStorage.removeItem(FLOW);
    if (!flow) throw new Error('No flow of this tab is waiting for a code: start it again from your apps.');
    if (query.get('state') !== flow.state)
      throw new Error('The state does not match the one this tab sent: the answer is not for this flow.');
    if (query.get('error'))
      throw new Error(`The authorization server answered ${query.get('error')}: ${query.get('error_description') ?? ''}`);
    step('Authorization code received', { code: query.get('code') });
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code: query.get('code'),
      redirect_uri: CALLBACK,
      code_verifier: flow.verifier,
    });
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    if (flow.clientSecret)
      headers.authorization = `Basic ${btoa(`${encodeURIComponent(flow.clientId)}:${encodeURIComponent(flow.clientSecret)}`)}`;
    else form.set('client_id', flow.clientId);
    const tokenRes = await fetch(flow.tokenEndpoint, { method: 'POST', headers, body: form });
    const tokens = await tokenRes.json().catch(() => ({}));
    if (!tokenRes.ok) throw new Error(`The token exchange failed: ${tokens.error ?? tokenRes.status} ${tokens.error_description ?? ''}`);
    step('Exchanged, with the PKCE verifier, for an access token', {
      access_token: tokens.access_token,
      token_type: tokens.token_type,
      expires_in: tokens.expires_in,
      scope: tokens.scope,
      refresh_token: tokens.refresh_token ? '(issued)' : undefined,
    });
    const path = `/public/v1/users?login=${encodeURIComponent(me.login)}`;
    const res = await fetch(path, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const body = await res.json().catch(() => ({}));
    step(`First Public API call: GET ${path} → ${res.status}`);
    const result = $('public-call');
    result.textContent = JSON.stringify(body, null, 2);
    result.dataset.status = String(res.status);
    result.hidden = false;
  };

  const signedIn = async () => {
    me = await api('/me');
    $('who').textContent = me.login;
    $('sign-out').hidden = false;
    $('sign-in').hidden = true;
    if (location.pathname.endsWith('/callback')) return finishFlow();
    $('register').elements.redirectUris.value = CALLBACK;
    $('apps-view').hidden = false;
    await loadApps();
  };

  $('sign-in').addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError();
    const form = new FormData(event.target);
    const res = await fetch('/private/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: form.get('login'), password: form.get('password') }),
    });
    const body = await res.json().catch(() => ({}));
    if (res.status !== 201) return fail(body.detail || body.title || `sign-in failed (${res.status})`);
    sessionStorage.setItem(SESSION, body.accessToken);
    event.target.reset();
    await signedIn().catch(fail);
  });

  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(SESSION);
    shownSecrets.clear();
    $('secret-box').hidden = true;
    showSignIn();
  });

  if (sessionStorage.getItem(SESSION)) signedIn().catch(fail);
  else showSignIn();
})();
