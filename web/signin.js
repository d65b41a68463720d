import { useEffect, useState } from 'preact/hooks';
import { api, html } from './lib.js';

/** Paste a token; on a local development start, or pick a demo user. */
export function SignIn({ onToken, notice }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(notice ?? null);
  const [demoUsers, setDemoUsers] = useState([]);

  useEffect(() => {
    // The picker exists only where the server registers its routes (DEMO_USERS, never with OIDC).
    void api('/api/v1/demo/users', { token: null }).then((r) => setDemoUsers(r.ok ? r.body.items : []));
  }, []);

  const tryToken = async (candidate) => {
    const me = await api('/api/v1/me', { token: candidate });
    if (me.ok) onToken(candidate, me.body);
    else setError(`That token was refused: ${me.problem}`);
  };
  const submit = (event) => {
    event.preventDefault();
    void tryToken(token.trim());
  };
  const pick = async (person) => {
    const minted = await api('/api/v1/demo/tokens', { method: 'POST', body: { person }, token: null });
    if (minted.ok) await tryToken(minted.body.token);
    else setError(minted.problem);
  };

  return html`<main class="signin" aria-labelledby="signin-title">
    <h1 id="signin-title">exception-desk</h1>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <form onSubmit=${submit}>
      <label for="token">Bearer token</label>
      <textarea id="token" rows="4" required value=${token} onInput=${(e) => setToken(e.currentTarget.value)}
        placeholder="Paste a JWT, e.g. from: npm run token -- --sub li --role operator"></textarea>
      <button type="submit">Sign in</button>
    </form>
    ${demoUsers.length > 0 &&
    html`<section aria-labelledby="demo-title" class="demo-users">
      <h2 id="demo-title">Demo users <small>(development only)</small></h2>
      <ul>
        ${demoUsers.map(
          (u) => html`<li key=${u.id}><button type="button" data-person=${u.id} onClick=${() => pick(u.id)}>${u.name} <small>${u.id} · ${u.roles.join(', ')}</small></button></li>`,
        )}
      </ul>
    </section>`}
  </main>`;
}
