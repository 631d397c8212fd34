// The consent screen of the authorization server. The user's first-party session (a Private API access token)
// is kept for this tab only (sessionStorage, shared with the developer console on the same origin); the decision
// is a plain form post, so the server's redirects take the browser back to the app.
(() => {
  const $ = (id) => document.getElementById(id);
  const SESSION = 'platform.session';
  const here = location.pathname.replace(/\/$/, '');

  const fail = (message) => {
    $('consent-error').textContent = message;
    $('consent-error').hidden = false;
  };

  const signIn = () => {
    $('consent').hidden = true;
    $('sign-in').hidden = false;
  };

  const show = async () => {
    const token = sessionStorage.getItem(SESSION);
    if (!token) return signIn();
    const res = await fetch(here, { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    const body = await res.json().catch(() => ({}));
    if (res.status === 401) {
      sessionStorage.removeItem(SESSION);
      return signIn();
    }
    if (!res.ok) return fail(body.error_description || `this request cannot be approved (${res.status})`);
    $('app-name').textContent = body.client.name;
    const list = $('scopes');
    list.replaceChildren();
    for (const { scope, description } of body.scopes) {
      const item = document.createElement('li');
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = true;
      box.value = scope;
      const name = document.createElement('code');
      name.textContent = scope;
      label.append(box, ' ', description ?? scope, ' ', name);
      item.append(label);
      list.append(item);
    }
    if (!body.scopes.length) list.innerHTML = '<li>Know who you are</li>';
    const form = $('consent');
    form.elements.access_token.value = token;
    $('approve').formAction = `${here}/consent`;
    $('deny').formAction = `${here}/deny`;
    $('sign-in').hidden = true;
    form.hidden = false;
  };

  $('consent').addEventListener('submit', (event) => {
    const chosen = [...$('scopes').querySelectorAll('input:checked')].map((box) => box.value);
    event.target.elements.scope.value = chosen.join(' ');
  });

  $('sign-in').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const res = await fetch('/private/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: form.get('login'), password: form.get('password') }),
    });
    const body = await res.json().catch(() => ({}));
    if (res.status !== 201) return fail(body.detail || body.title || `sign-in failed (${res.status})`);
    $('consent-error').hidden = true;
    sessionStorage.setItem(SESSION, body.accessToken);
    await show();
  });

  show().catch((error) => fail(String(error)));
})();
