import { useEffect, useState } from 'preact/hooks';
import { api, html } from './lib.js';

const AREA_NAMES = { 'business-rules': 'Business rules', 'model-retraining': 'Model retraining', 'exception-queue': 'Exception queue', 'adoption-training': 'Adoption and training' };
const campaignPath = (c) => `/api/v1/capabilities/${encodeURIComponent(c.capability)}/attestations/${encodeURIComponent(c.campaignId)}`;

/**
 * The owner's side: the cells they are asked to confirm, each with a one-click Confirm, or a Decline
 * that needs a reason (the manager is asked to reassign). Shown at the top of the inbox.
 */
export function MyAttestations() {
  const [items, setItems] = useState(null);
  const [status, setStatus] = useState('');
  const [declining, setDeclining] = useState(null);
  const [reason, setReason] = useState('');
  const load = async () => {
    const result = await api('/api/v1/me/attestations');
    if (result.ok) setItems(result.body.items);
  };
  useEffect(() => {
    void load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, []);
  const answer = async (r, body) => {
    const path = `${campaignPath(r)}/answers`;
    const result = await api(path, { method: 'POST', body: { region: r.region, area: r.area, ...body } });
    setStatus(result.ok ? `${body.answer === 'confirm' ? 'Confirmed' : 'Declined'} ${r.capability} ${r.region} / ${r.area}.` : `Not recorded: ${result.problem}`);
    setDeclining(null);
    setReason('');
    await load();
  };
  if (!items || items.length === 0) return html`<p class="notice" role="status" aria-live="polite">${status}</p>`;
  return html`<section aria-labelledby="attest-title" class="card">
    <h3 id="attest-title">Ownership to confirm</h3>
    <p class="muted">Are these still yours? A cell left unconfirmed at the deadline shows as a gap in the ownership audit.</p>
    <p class="notice" role="status" aria-live="polite">${status}</p>
    <ul class="inbox">
      ${items.map((r) => {
        const key = `${r.campaignId}/${r.region}/${r.area}`;
        const what = `${r.capability} ${r.region} ${r.area}`;
        return html`<li key=${key} data-attestation=${`${r.region}/${r.area}`}>
          <strong>${r.capability} in ${r.region}: ${AREA_NAMES[r.area] ?? r.area}</strong> <span class="muted">as ${r.role}, by ${new Date(r.deadline).toLocaleString()} (asked by ${r.startedBy})</span>
          <div class="actions">
            <button type="button" onClick=${() => answer(r, { answer: 'confirm' })} aria-label=${`Confirm ${what}`}>Confirm</button>
            <button type="button" class="small" onClick=${() => setDeclining(key)} aria-label=${`Decline ${what}`}>Decline…</button>
          </div>
          ${declining === key &&
          html`<form class="inline" onSubmit=${(e) => {
            e.preventDefault();
            void answer(r, { answer: 'decline', reason });
          }}>
            <label for=${`decline-${key}`}>Why</label>
            <input id=${`decline-${key}`} required value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
            <button type="submit">Send decline</button>
          </form>`}
        </li>`;
      })}
    </ul>
  </section>`;
}

/** The manager's side: start a campaign, follow its progress (who confirmed, declined, let it expire), cancel it. */
export function Attestations({ capability }) {
  const [campaigns, setCampaigns] = useState([]);
  const [open, setOpen] = useState(null);
  const [within, setWithin] = useState('14d');
  const [remindBefore, setRemindBefore] = useState('3d');
  const [status, setStatus] = useState('');
  const [tick, setTick] = useState(0);
  const base = `/api/v1/capabilities/${encodeURIComponent(capability)}/attestations`;
  useEffect(() => {
    if (!capability) return;
    let live = true;
    const load = async () => {
      const list = await api(`${base}?limit=5`);
      if (!live || !list.ok) return;
      setCampaigns(list.body.items);
      const latest = list.body.items[0];
      if (latest) {
        const detail = await api(campaignPath(latest));
        if (live && detail.ok) setOpen(detail.body);
      } else setOpen(null);
    };
    void load();
    const timer = setInterval(load, 5000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [capability, tick]);
  const start = async (e) => {
    e.preventDefault();
    const result = await api(base, { method: 'POST', body: { within, remindBefore } });
    setStatus(result.ok ? `Started: ${result.body.counts.asked} owners and backups asked.` : `Not started: ${result.problem}`);
    setTick((t) => t + 1);
  };
  const cancel = async (c) => {
    const result = await api(`${campaignPath(c)}/cancel`, { method: 'POST', body: { reason: 'cancelled from the console' } });
    setStatus(result.ok ? 'Cancelled.' : `Not cancelled: ${result.problem}`);
    setTick((t) => t + 1);
  };
  const counts = (c) => `${c.counts.confirmed} confirmed, ${c.counts.declined} declined, ${c.counts.pending} waiting, ${c.counts.expired} expired of ${c.counts.asked}`;
  return html`<section aria-labelledby="attestations-title" class="card">
    <h3 id="attestations-title">Ownership attestation</h3>
    <form class="inline" onSubmit=${start}>
      <label for="attest-within">Answer within</label>
      <input id="attest-within" size="5" value=${within} onInput=${(e) => setWithin(e.currentTarget.value)} />
      <label for="attest-remind">Remind before the end</label>
      <input id="attest-remind" size="5" value=${remindBefore} onInput=${(e) => setRemindBefore(e.currentTarget.value)} />
      <button type="submit">Start a campaign</button>
    </form>
    <p class="notice" role="status" aria-live="polite">${status}</p>
    ${campaigns.length === 0 && html`<p class="muted">No campaign yet.</p>`}
    <ul>${campaigns.map((c) => html`<li key=${c.campaignId}><strong>${c.status}</strong> ${c.regions.join(', ')}: ${counts(c)} <span class="muted">(by ${c.startedBy}, ends ${new Date(c.deadline).toLocaleString()})</span>
      ${c.status === 'running' && html` <button type="button" class="small" onClick=${() => cancel(c)}>Cancel campaign</button>`}</li>`)}</ul>
    ${open &&
    html`<table class="attestation">
      <caption class="sr-only">Answers in the latest campaign</caption>
      <thead><tr><th scope="col">Cell</th><th scope="col">Person</th><th scope="col">Answer</th><th scope="col">Why</th></tr></thead>
      <tbody>${open.requests.map((r) => html`<tr data-state=${r.state}><td>${r.region} / ${r.area}</td><td>${r.person} (${r.role})</td><td>${r.state}</td><td>${r.reason ?? ''}</td></tr>`)}</tbody>
    </table>`}
  </section>`;
}

/** Runs the escalation-chain lint now; its findings land in the gap audit below. */
export function LintButton({ capability, onDone }) {
  const [status, setStatus] = useState('');
  const run = async () => {
    const result = await api(`/api/v1/capabilities/${encodeURIComponent(capability)}/chain-lint`, { method: 'POST' });
    setStatus(result.ok ? `Chain lint: ${result.body.items.length} finding${result.body.items.length === 1 ? '' : 's'}.` : result.problem);
    onDone();
  };
  return html`<p class="inline"><button type="button" onClick=${run}>Lint escalation chains</button> <span role="status" aria-live="polite">${status}</span></p>`;
}
