import { useEffect, useState } from 'preact/hooks';
import { BarChart } from './charts.js';
import { AREAS, age, api, hasRole, html } from './lib.js';

const REFRESH_MS = 3000;
const ACTIONS = {
  retrain: { label: 'Retrain the model', fields: [['data', 'With which data'], ['targetModelVersion', 'Target model version']] },
  'change-rule': { label: 'Change a rule', fields: [['rule', 'Which rule'], ['change', 'To what']] },
  'schedule-training': { label: 'Schedule training', fields: [['training', 'Which training'], ['trainees', 'For whom']] },
  'add-capacity': { label: 'Add capacity', fields: [['capacity', 'How much, where']] },
};
export const decisionPath = (id) => `/api/v1/decisions/${encodeURIComponent(id)}`;
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const dueText = (d) => (d.status === 'deferred' ? `deferred until ${when(d.deferUntil)}` : d.overdue ? `${age(d.dueAt)} past due` : `due ${when(d.dueAt)}`);

/** Decision items the signed-in owner holds or that were escalated to them: shown in the inbox beside escalations. */
export function MyDecisions({ me }) {
  const [items, setItems] = useState(null);
  useEffect(() => {
    if (!hasRole(me, 'owner', 'manager')) return undefined;
    const load = async () => {
      const r = await api('/api/v1/decisions?mine=true&status=open,deferred&limit=50');
      if (r.ok) setItems(r.body.items);
    };
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [me.sub]);
  if (!items) return null;
  return html`<section aria-labelledby="my-decisions">
    <h3 id="my-decisions">Decisions asked of you</h3>
    ${items.length === 0 && html`<p class="muted">No decision waits for you.</p>`}
    <ul class="inbox" data-testid="my-decisions">
      ${items.map(
        (d) => html`<li key=${d.id}>
          <a href=${`#/decision/${encodeURIComponent(d.id)}`}>${d.summary}</a> <span class="muted">${d.area}, ${d.region}</span>
          <p class="why"><strong>${d.status}</strong>, <span class=${d.overdue ? 'late' : ''}>${dueText(d)}</span>${d.escalatedTo === me.sub && d.owner !== me.sub ? html` <strong>escalated to you</strong> (owner ${d.owner ?? 'none'})` : ''}</p>
        </li>`,
      )}
    </ul>
  </section>`;
}

/** One decision item: the evidence as numbers and a small chart, the timeline, and the outcome form. */
export function DecisionDetail({ id }) {
  const [d, setD] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const load = async () => {
    const r = await api(decisionPath(id));
    if (r.ok) setD(r.body);
    else setError(r.problem);
  };
  useEffect(() => {
    void load();
  }, [id]);
  if (error && !d) return html`<p class="error" role="alert">${error}</p>`;
  if (!d) return html`<p>Loading…</p>`;
  const e = d.evidence;
  const series = e?.series ?? [];
  return html`<article aria-labelledby="decision-title">
    <p><a href="#/inbox">← My inbox</a></p>
    <h2 id="decision-title">${d.summary}</h2>
    <p><strong data-testid="decision-status">${d.status}</strong> · ${d.area}, ${d.capability} ${d.region} · owner <strong>${d.owner ?? 'none'}</strong> · <span class=${d.overdue ? 'late' : ''}>${dueText(d)}</span></p>
    ${e &&
    html`<section aria-labelledby="evidence-title">
      <h3 id="evidence-title">Evidence</h3>
      <dl class="figures" data-testid="evidence">
        <dt>Measured</dt><dd>${Math.round(e.measured * 1000) / 1000}</dd>
        <dt>Threshold</dt><dd>${e.threshold}</dd>
        <dt>Window</dt><dd>${when(e.window.from)} – ${when(e.window.to)}</dd>
        ${Object.entries(e.figures ?? {}).map(([k, v]) => html`<dt>${k}</dt><dd>${String(v)}</dd>`)}
      </dl>
      ${series.length > 0 && html`<${BarChart} title="Exceptions behind it, per day" labels=${series.map((p) => p.day?.slice(5) ?? '')} counts=${series.map((p) => p.count)} color="#b35c00" />`}
      ${(e.values ?? []).length > 0 &&
      html`<h4>Value and feedback events in the window</h4>
        <ul>${e.values.map((v) => html`<li>${v.id}: ${v.events} events, ${v.total} in all</li>`)}</ul>`}
      ${(e.exceptionIds ?? []).length > 0 &&
      html`<h4>Exceptions behind it</h4>
        <ul class="links">${e.exceptionIds.map((x) => html`<li><a href=${`#/exception/${encodeURIComponent(x)}`}>${x}</a></li>`)}</ul>`}
    </section>`}
    ${d.beforeAfter && html`<${BeforeAfter} ba=${d.beforeAfter} />`}
    ${d.outcome && html`<p data-testid="decision-outcome"><strong>${d.outcome.outcome}</strong>${d.outcome.action ? ` (${d.outcome.action})` : ''} by ${d.outcome.by}, ${when(d.outcome.at)}${d.outcome.reason ? `: ${d.outcome.reason}` : ''}${d.outcome.targetModelVersion ? `, target ${d.outcome.targetModelVersion}` : ''}</p>`}
    ${(d.status === 'open' || d.status === 'deferred') &&
    html`<${OutcomeForm}
      id=${id}
      onSaved=${(body) => {
        setD(body);
        setSaved(`Recorded: ${body.status}.`);
      }}
    />`}
    ${saved && html`<p role="status">${saved}</p>`}
    <h3>Timeline</h3>
    <ol class="timeline">${d.timeline.map((t) => html`<li key=${t.seq}>${when(t.at)} · ${t.actor} · <strong>${t.action}</strong></li>`)}</ol>
  </article>`;
}

function BeforeAfter({ ba }) {
  if (ba.status === 'waiting') return html`<p data-testid="before-after">Waiting for intake payloads to carry ${ba.modelVersion}; the before/after rates show here then.</p>`;
  const pct = (r) => (r === null ? '—' : `${Math.round(r * 1000) / 10}%`);
  return html`<p data-testid="before-after">${ba.modelVersion}, first seen ${when(ba.firstSeen)}: exception rate ${pct(ba.before.rate)} before, ${pct(ba.after.rate)} since.</p>`;
}

function OutcomeForm({ id, onSaved }) {
  const [outcome, setOutcome] = useState('decided');
  const [action, setAction] = useState('retrain');
  const [fields, setFields] = useState({});
  const [problem, setProblem] = useState(null);
  const set = (k) => (ev) => setFields({ ...fields, [k]: ev.currentTarget.value });
  const submit = async (ev) => {
    ev.preventDefault();
    const text = (k) => (fields[k] ?? '').trim() || undefined;
    const body =
      outcome === 'decided'
        ? { outcome, action, ...Object.fromEntries(ACTIONS[action].fields.map(([k]) => [k, text(k)]).filter(([, v]) => v !== undefined)), ...(text('reason') ? { reason: text('reason') } : {}) }
        : outcome === 'declined'
          ? { outcome, reason: text('reason') ?? '' }
          : { outcome, until: fields.until ? new Date(fields.until).toISOString() : '', ...(text('reason') ? { reason: text('reason') } : {}) };
    const r = await api(`${decisionPath(id)}/outcome`, { method: 'POST', body });
    if (r.ok) {
      setProblem(null);
      onSaved(r.body);
    } else setProblem(r.problem);
  };
  return html`<form class="outcome" onSubmit=${submit} aria-labelledby="outcome-title">
    <h3 id="outcome-title">Record the outcome</h3>
    <label>Outcome <select value=${outcome} onChange=${(ev) => setOutcome(ev.currentTarget.value)}>
      <option value="decided">Decided</option><option value="declined">Declined</option><option value="deferred">Deferred</option>
    </select></label>
    ${outcome === 'decided' &&
    html`<label>What was decided <select value=${action} onChange=${(ev) => setAction(ev.currentTarget.value)}>
        ${Object.entries(ACTIONS).map(([k, a]) => html`<option value=${k}>${a.label}</option>`)}
      </select></label>
      ${ACTIONS[action].fields.map(([k, label]) => html`<label>${label} <input value=${fields[k] ?? ''} onInput=${set(k)} /></label>`)}`}
    ${outcome === 'deferred' && html`<label>Until <input type="datetime-local" value=${fields.until ?? ''} onInput=${set('until')} /></label>`}
    <label>${outcome === 'declined' ? 'Why' : 'Note'} <input value=${fields.reason ?? ''} onInput=${set('reason')} /></label>
    <button type="submit">Record</button>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
  </form>`;
}

/** The decision log for managers: what was asked, decided, declined and deferred, and what is overdue; CSV for the institutional memory. */
export function DecisionLog() {
  const [filter, setFilter] = useState({ status: '', area: '', q: '', overdue: false });
  const [items, setItems] = useState(null);
  const [overdue, setOverdue] = useState(null);
  const [error, setError] = useState(null);
  const query = () => {
    const q = new URLSearchParams({ limit: '200' });
    if (filter.status) q.set('status', filter.status);
    if (filter.area) q.set('area', filter.area);
    if (filter.q.trim()) q.set('q', filter.q.trim());
    if (filter.overdue) q.set('overdue', 'true');
    return q;
  };
  useEffect(() => {
    const load = async () => {
      const [r, o] = await Promise.all([api(`/api/v1/decisions?${query()}`), api('/api/v1/decisions?overdue=true&limit=200')]);
      if (r.ok) setItems(r.body.items);
      else setError(r.problem);
      if (o.ok) setOverdue(o.body.items.length);
    };
    void load();
  }, [JSON.stringify(filter)]);
  const download = async () => {
    const r = await api(`/api/v1/decisions?${query()}&format=csv`);
    if (!r.ok) return setError(r.problem);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([r.body], { type: 'text/csv' }));
    a.download = 'decisions.csv';
    a.click();
  };
  const on = (k) => (ev) => setFilter({ ...filter, [k]: ev.currentTarget.type === 'checkbox' ? ev.currentTarget.checked : ev.currentTarget.value });
  return html`<section aria-labelledby="log-title">
    <h2 id="log-title">Decision log</h2>
    ${overdue !== null && html`<p data-testid="overdue-count" class=${overdue > 0 ? 'late' : ''}>${overdue} open decisions past due</p>`}
    <div class="filters">
      <label>Status <select value=${filter.status} onChange=${on('status')}><option value="">any</option><option value="open,deferred">open or deferred</option><option value="decided">decided</option><option value="declined">declined</option></select></label>
      <label>Area <select value=${filter.area} onChange=${on('area')}><option value="">any</option>${AREAS.map((a) => html`<option value=${a}>${a}</option>`)}</select></label>
      <label>Search <input value=${filter.q} onInput=${on('q')} /></label>
      <label><input type="checkbox" checked=${filter.overdue} onChange=${on('overdue')} /> Past due only</label>
      <button type="button" onClick=${download}>Download CSV</button>
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <table data-testid="decision-log">
      <thead><tr><th>Raised</th><th>Capability / region</th><th>Area</th><th>Question</th><th>Owner</th><th>Status</th><th>Outcome</th></tr></thead>
      <tbody>
        ${(items ?? []).map(
          (d) => html`<tr key=${d.id} class=${d.overdue ? 'late' : ''}>
            <td>${when(d.raisedAt)}</td><td>${d.capability} ${d.region}</td><td>${d.area}</td>
            <td><a href=${`#/decision/${encodeURIComponent(d.id)}`}>${d.summary}</a></td><td>${d.owner ?? '—'}</td>
            <td>${d.status}${d.overdue ? ' (past due)' : ''}</td><td>${d.outcome ? `${d.outcome.outcome}${d.outcome.action ? `: ${d.outcome.action}` : ''} by ${d.outcome.by}` : '—'}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
