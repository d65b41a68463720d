import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { DecisionDetail, DecisionLog } from './decisions.js';
import { Detail } from './detail.js';
import { Inbox } from './inbox.js';
import { api, hasRole, html, session } from './lib.js';
import { Manager } from './manager.js';
import { Notifications } from './notifications.js';
import { Queue } from './queue.js';
import { Readiness } from './readiness.js';
import { SignIn } from './signin.js';
import { Templates } from './templates.js';

const currentRoute = () => location.hash.replace(/^#\/?/, '') || 'queue';

function useRoute() {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function Page({ route, me, capabilities }) {
  if (route.startsWith('exception/')) return html`<${Detail} id=${decodeURIComponent(route.slice('exception/'.length))} me=${me} />`;
  if (route.startsWith('decision/')) return html`<${DecisionDetail} id=${decodeURIComponent(route.slice('decision/'.length))} />`;
  if (route === 'decisions') return hasRole(me, 'manager') ? html`<${DecisionLog} />` : html`<p>The decision log needs the manager role.</p>`;
  if (route === 'inbox') return html`<${Inbox} me=${me} />`;
  if (route === 'notifications') return html`<${Notifications} me=${me} />`;
  if (route === 'readiness') return hasRole(me, 'manager') ? html`<${Readiness} me=${me} capabilities=${capabilities} />` : html`<p>The readiness scorecard needs the manager role.</p>`;
  if (route === 'templates') return hasRole(me, 'manager') ? html`<${Templates} me=${me} capabilities=${capabilities} />` : html`<p>Template versions need the manager role.</p>`;
  if (route === 'manager') return hasRole(me, 'manager') ? html`<${Manager} me=${me} capabilities=${capabilities} />` : html`<p>The ownership views need the manager role.</p>`;
  return html`<${Queue} me=${me} capabilities=${capabilities} />`;
}

function App() {
  const [me, setMe] = useState(null);
  const [checked, setChecked] = useState(false);
  const [notice, setNotice] = useState(null);
  const [capabilities, setCapabilities] = useState([]);
  const route = useRoute();

  useEffect(() => {
    if (!session.token) return setChecked(true);
    void api('/api/v1/me').then((r) => {
      if (r.ok) setMe(r.body);
      else {
        session.token = null;
        setNotice(`Please sign in again: ${r.problem}`);
      }
      setChecked(true);
    });
  }, []);
  useEffect(() => {
    if (me) void api('/api/v1/capabilities').then((r) => setCapabilities(r.ok ? r.body.items : []));
  }, [me]);

  if (!checked) return html`<p>Loading…</p>`;
  if (!me) {
    return html`<${SignIn} notice=${notice} onToken=${(token, who) => {
      session.token = token;
      setMe(who);
    }} />`;
  }
  const signOut = () => {
    session.token = null;
    setMe(null);
  };
  const link = (to, label) => html`<a href=${`#/${to}`} aria-current=${route === to ? 'page' : undefined}>${label}</a>`;
  return html`<a class="skip" href="#main">Skip to content</a>
    <header>
      <h1>exception-desk</h1>
      <nav aria-label="Sections">${link('queue', 'Queue')} ${link('inbox', 'My inbox')} ${link('notifications', 'Notifications')} ${hasRole(me, 'manager') && link('manager', 'Ownership')} ${hasRole(me, 'manager') && link('readiness', 'Readiness')} ${hasRole(me, 'manager') && link('decisions', 'Decisions')} ${hasRole(me, 'manager') && link('templates', 'Templates')}</nav>
      <p class="who">Signed in as <strong data-testid="signed-in-as">${me.name ?? me.sub}</strong> <span class="muted">(${me.sub}: ${me.roles.join(', ')})</span>
        <button type="button" onClick=${signOut}>Sign out</button></p>
    </header>
    <main id="main" tabindex="-1"><${Page} route=${route} me=${me} capabilities=${capabilities} /></main>`;
}

render(html`<${App} />`, document.getElementById('app'));
