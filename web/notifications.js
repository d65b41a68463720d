import { useEffect, useState } from 'preact/hooks';
import { api, html } from './lib.js';

/** What each kind means to the reader; a kind the API adds later shows by its name. */
const KINDS = {
  assignment: 'Assigned to me (new exceptions in my cells)',
  escalation: 'Escalated to me',
  reassignment: 'Reassigned to me by someone',
  moved: 'Moved to me (an owner departed, went on leave, or the matrix changed)',
  warning: 'Early warnings (50 % and 75 % of a claim or resolve window gone)',
};
const DELIVERIES = [
  ['now', 'E-mail at once'],
  ['digest', 'Daily digest e-mail'],
  ['inbox', 'Inbox only'],
];

/** The signed-in person's e-mail choices per notification kind. */
export function Notifications({ me }) {
  const url = `/api/v1/people/${encodeURIComponent(me.sub)}/notification-preferences`;
  const [prefs, setPrefs] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  useEffect(() => {
    void api(url).then((r) => (r.ok ? setPrefs(r.body) : setError(r.problem)));
  }, [url]);

  const save = async (event) => {
    event.preventDefault();
    setNotice('Saving…');
    const r = await api(url, { method: 'PUT', body: prefs.preferences });
    if (r.ok) {
      setPrefs(r.body);
      setNotice('Saved.');
    } else setNotice(`Not saved: ${r.problem}`);
  };
  const choose = (kind, delivery) => setPrefs({ ...prefs, preferences: { ...prefs.preferences, [kind]: delivery } });

  return html`<section aria-labelledby="notifications-title">
    <h2 id="notifications-title">Notifications</h2>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${prefs && !prefs.emailEnabled && html`<p class="muted">E-mail is off on this desk (no SMTP_URL): everything reaches your inbox only.</p>`}
    ${prefs?.unreachable &&
    html`<p class="error" role="alert" data-testid="unreachable">Your address was refused on ${prefs.unreachable.since}: ${prefs.unreachable.reason}. Ask an admin to correct it; until a mail gets through, the gap audit lists you as an unreachable owner.</p>`}
    ${prefs &&
    html`<form class="preferences" onSubmit=${save}>
      <p class="muted">For each kind: one e-mail each, one digest a day, or only your inbox. ${prefs.alwaysNow.join('; ')}.</p>
      ${Object.entries(prefs.preferences).map(
        ([kind, delivery]) => html`<p key=${kind}>
          <label for=${`pref-${kind}`}>${KINDS[kind] ?? kind}</label>${' '}
          <select id=${`pref-${kind}`} data-kind=${kind} disabled=${!prefs.emailEnabled} value=${delivery} onChange=${(e) => choose(kind, e.currentTarget.value)}>
            ${DELIVERIES.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
          </select>
        </p>`,
      )}
      <button type="submit" disabled=${!prefs.emailEnabled}>Save</button>
      <p role="status" aria-live="polite" class="notice">${notice ?? ''}</p>
    </form>`}
  </section>`;
}
