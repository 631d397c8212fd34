// The admins' GraphQL explorer: signs a staff member in through the Admin API, then runs GraphiQL against the
// router with the staff token. The token stays in this page's memory only: a reload signs in again.
(() => {
  const $ = (id) => document.getElementById(id);
  const base = location.pathname.replace(/\/$/, '');
  let token;
  let examples = [];

  const fetcher = async (params) => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(params),
    });
    return res.json();
  };

  const render = (query) => {
    const root = $('graphiql');
    root.hidden = false;
    ReactDOM.render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultQuery: '# Staff with graph:explore and a fresh second factor run queries here; each one is audited.\n{\n  __typename\n}\n',
        query,
        isHeadersEditorEnabled: false,
        shouldPersistHeaders: false,
        storage: { getItem: () => null, setItem: () => undefined, removeItem: () => undefined, clear: () => undefined, length: 0 },
      }),
      root,
    );
  };

  const showExamples = async () => {
    examples = await (await fetch(`${base}/examples.json`)).json();
    const select = $('example');
    examples.forEach((example, index) => {
      const option = document.createElement('option');
      option.value = String(index);
      option.textContent = `${example.api} · ${example.name}`;
      select.append(option);
    });
    select.addEventListener('change', () => {
      const example = examples[Number(select.value)];
      if (example) {
        ReactDOM.unmountComponentAtNode($('graphiql'));
        render(example.query);
      }
    });
    $('examples').hidden = false;
  };

  $('sign-in').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const res = await fetch('/admin/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: form.get('login'), password: form.get('password'), totpCode: form.get('totpCode') }),
    });
    const body = await res.json().catch(() => ({}));
    if (res.status !== 201) {
      $('sign-in-error').textContent = body.detail || body.title || `sign-in failed (${res.status})`;
      return;
    }
    token = body.accessToken;
    $('sign-in').hidden = true;
    $('who').textContent =
      `${body.staff.login ?? ''} · ${body.permissions.includes('graph:explore') ? 'graph:explore' : 'no graph:explore permission'}`;
    render();
    await showExamples();
  });
})();
