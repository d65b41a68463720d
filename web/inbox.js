import { useEffect, useState } from 'preact/hooks';
import { MyDecisions } from './decisions.js';
import { MyAttestations } from './attestations.js';
import { age, api, html } from './lib.js';

const REFRESH_MS = 3000;

/** Escalations, assignments and readiness notices that reached the signed-in person, and why. */
export function Inbox({ me }) {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const load = async () => {
      const result = await api('/api/v1/me/inbox?limit=100');
      if (result.ok) setItems(result.body.items);
      else setError(result.problem);
    };
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  return html`<section aria-labelledby="inbox-title">
    <h2 id="inbox-title">My inbox</h2>
    <${MyAttestations} />
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${items && items.length === 0 && html`<p class="muted">Nothing has reached you.</p>`}
    <ul class="inbox">
      ${(items ?? []).map((i) =>
        i.decisionId
          ? // A decision item routed, moved or escalated to you: it opens the decision, not an exception.
            html`<li key=${`${i.decisionId}-${i.at}-${i.kind}`}>
              <a href=${`#/decision/${encodeURIComponent(i.decisionId)}`}>${i.title}</a>${' '}<span class="muted">decision ${i.status ?? ''}${i.owner ? `, owner ${i.owner}` : ''}</span>
              <p class="why"><strong>${i.kind}:</strong> ${i.reason} <span class="muted">(${i.level ? `step ${i.level}, ` : ''}${age(i.at)} ago)</span></p>
            </li>`
          : i.exceptionId === null
          ? // A notice about a rollout, not an exception: it links to the readiness page (attestation notices: the list above, or the manager's page).
            html`<li key=${`${i.capability}-${i.region}-${i.at}-${i.kind}`}>
              <a href=${i.kind === 'attestation-declined' ? '#/manager' : i.kind.startsWith('attestation-') ? '#/inbox' : '#/readiness'}>${i.title}</a>
              <p class="why"><strong>${i.kind}:</strong> ${i.reason} <span class="muted">(${age(i.at)} ago)</span></p>
            </li>`
          : html`<li key=${`${i.exceptionId}-${i.at}-${i.kind}`}>
              <a href=${`#/exception/${encodeURIComponent(i.exceptionId)}`}>${i.title}</a>${' '}<span class=${`sev sev-${i.severity}`}>${i.severity}</span> <span class="muted">${i.status}${i.claimant ? ` by ${i.claimant}` : ''}</span>
              <p class="why"><strong>${i.kind}:</strong> ${i.reason} <span class="muted">(level ${i.level}, ${age(i.at)} ago)</span></p>
            </li>`,
      )}
    </ul>
    ${me && html`<${MyDecisions} me=${me} />`}
  </section>`;
}
