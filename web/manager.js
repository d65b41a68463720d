import { useEffect, useState } from 'preact/hooks';
import { BarChart, breachesByRegion, byAgeBucket } from './charts.js';
import { api, hasRole, html } from './lib.js';
import { Attestations, LintButton } from './attestations.js';
import { GapAudit, Matrix } from './matrix.js';

const REFRESH_MS = 5000;

function Departure({ people, onSwept }) {
  const [person, setPerson] = useState('');
  const [reason, setReason] = useState('');
  const [sweep, setSweep] = useState(null);
  const [error, setError] = useState(null);
  const path = (id) => `/api/v1/people/${encodeURIComponent(id)}/departure`;
  const watch = async (id) => {
    for (let i = 0; i < 60; i++) {
      const result = await api(path(id));
      if (result.ok) setSweep(result.body);
      if (result.ok && result.body.done) return onSwept();
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setSweep(null);
    const result = await api(path(person), { method: 'POST', body: { reason } });
    if (!result.ok) return setError(result.problem);
    setSweep(result.body);
    setPerson('');
    setReason('');
    if (result.body.done) onSwept();
    else await watch(person);
  };
  const r = sweep?.result;
  return html`<section aria-labelledby="departure-title" class="card">
    <h3 id="departure-title">Mark a person departed</h3>
    <form onSubmit=${submit} class="inline">
      <label for="departing">Person</label>
      <select id="departing" required value=${person} onChange=${(e) => setPerson(e.currentTarget.value)}>
        <option value="">choose…</option>${people.filter((p) => p.status !== 'departed').map((p) => html`<option value=${p.id}>${p.name} (${p.id})</option>`)}
      </select>
      <label for="departure-reason">Why</label>
      <input id="departure-reason" required value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
      <button type="submit">Mark departed</button>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${r && html`<div class="sweep" role="status" aria-live="polite">
      <p><strong>Sweep for ${r.person}: ${sweep.done ? 'done' : `in progress (${r.stage})`}</strong> — ${r.matrixChanges.length} cell${r.matrixChanges.length === 1 ? '' : 's'} changed,${' '}${r.moves.length} exception${r.moves.length === 1 ? '' : 's'} moved, ${r.gaps.length} gap${r.gaps.length === 1 ? '' : 's'} left.</p>
      <ul>${r.matrixChanges.map((c) => html`<li>${c.capability} ${c.region} / ${c.area}: owner ${c.before.owner ?? '—'} → ${c.after.owner ?? 'nobody'}, backup ${c.before.backup ?? '—'} → ${c.after.backup ?? 'none'}</li>`)}</ul>
    </div>`}
  </section>`;
}

export function Manager({ me, capabilities }) {
  const [chosen, setChosen] = useState('');
  // The capability list may arrive after this view (a reload on #/manager).
  const capability = chosen || (capabilities[0]?.id ?? '');
  const [data, setData] = useState({ matrix: null, gaps: [], people: [], live: [] });
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!capability) return;
    let live = true;
    const load = async () => {
      const q = encodeURIComponent(capability);
      const [matrix, gaps, people, open] = await Promise.all([
        api(`/api/v1/capabilities/${q}/ownership`),
        api(`/api/v1/audit/ownership-gaps?capability=${q}`),
        api('/api/v1/people?limit=500'),
        api(`/api/v1/exceptions?capability=${q}&status=open,claimed&limit=500`),
      ]);
      if (!live) return;
      const failed = [matrix, gaps, people, open].find((r) => !r.ok);
      setError(failed ? failed.problem : null);
      setData({ matrix: matrix.ok ? matrix.body : null, gaps: gaps.ok ? gaps.body.items : [], people: people.ok ? people.body.items : [], live: open.ok ? open.body.items : [] });
    };
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [capability, tick]);
  const reload = () => setTick((t) => t + 1);
  const ages = byAgeBucket(data.live);
  const breaches = breachesByRegion(data.live);
  const active = data.people.filter((p) => p.status === 'active');

  if (capabilities.length === 0) return html`<p>No capability is in your scope yet.</p>`;
  return html`<section aria-labelledby="manager-title">
    <h2 id="manager-title">Ownership</h2>
    <label>Capability <select value=${capability} onChange=${(e) => setChosen(e.currentTarget.value)}>${capabilities.map((c) => html`<option value=${c.id}>${c.name} (${c.id})</option>`)}</select></label>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <${Matrix} capability=${capability} matrix=${data.matrix} gaps=${data.gaps} people=${active} canEdit=${hasRole(me, 'manager')} onChanged=${reload} />
    <div class="charts">
      <${BarChart} title="Open exceptions by age" labels=${ages.labels} counts=${ages.counts} color="#2b6cb0" />
      <${BarChart} title="SLA breaches by region (open now)" labels=${breaches.labels} counts=${breaches.counts} color="#c53030" />
    </div>
    <${LintButton} capability=${capability} onDone=${reload} />
    <${GapAudit} capability=${capability} gaps=${data.gaps} />
    <${Attestations} capability=${capability} />
    <${Departure} people=${data.people} onSwept=${reload} />
  </section>`;
}
