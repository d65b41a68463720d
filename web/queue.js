import { useEffect, useState } from 'preact/hooks';
import { age, api, AREAS, exceptionPath, html, SEVERITIES, slaCountdown } from './lib.js';

const REFRESH_MS = 2500;
const initialFilters = { capability: '', region: '', area: '', severity: '', status: 'open,claimed', overdue: false };

/** Claims one exception; a claim lost to someone else reads back the winner instead of failing. */
export async function claim(id) {
  const result = await api(`${exceptionPath(id)}/claim`, { method: 'POST', body: {} });
  if (result.ok) return { ok: true, exception: result.body };
  if (result.status === 409) {
    const current = await api(exceptionPath(id));
    if (current.ok && current.body.claimant) return { ok: false, claimant: current.body.claimant, message: `claimed by ${current.body.claimant}` };
  }
  return { ok: false, message: result.problem };
}

function useQueue(filters) {
  const [state, setState] = useState({ items: [], loadedAt: 0, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    const load = async () => {
      const query = new URLSearchParams({ sort: 'deadline', limit: '200' });
      for (const [key, value] of Object.entries(filters)) if (value) query.set(key, String(value));
      const result = await api(`/api/v1/exceptions?${query}`);
      if (live) setState(result.ok ? { items: result.body.items, loadedAt: Date.now(), error: null } : (s) => ({ ...s, error: result.problem }));
    };
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [JSON.stringify(filters), tick]);
  return { ...state, refresh: () => setTick((t) => t + 1) };
}

function Filters({ filters, setFilters, capabilities }) {
  const set = (key) => (e) => setFilters({ ...filters, [key]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const choice = (key, label, options) => html`<label>${label}
    <select value=${filters[key]} onChange=${set(key)}><option value="">any</option>${options.map((o) => html`<option value=${o}>${o}</option>`)}</select></label>`;
  const regions = [...new Set(capabilities.flatMap((c) => c.regions))];
  return html`<form class="filters" aria-label="Queue filters" onSubmit=${(e) => e.preventDefault()}>
    ${choice('capability', 'Capability', capabilities.map((c) => c.id))}
    ${choice('region', 'Region', regions)}
    ${choice('area', 'Area', AREAS)}
    ${choice('severity', 'Severity', SEVERITIES)}
    <label>Status
      <select value=${filters.status} onChange=${set('status')}>
        <option value="open,claimed">open or claimed</option>
        <option value="open">open</option><option value="claimed">claimed</option>
        <option value="resolved">resolved</option><option value="dismissed">dismissed</option><option value="">any</option>
      </select></label>
    <label class="check"><input type="checkbox" checked=${filters.overdue} onChange=${set('overdue')} /> Overdue only</label>
  </form>`;
}

export function Queue({ me, capabilities }) {
  const [filters, setFilters] = useState(initialFilters);
  const [selected, setSelected] = useState(new Set());
  const [notice, setNotice] = useState(null);
  const [lost, setLost] = useState({});
  const { items, error, refresh } = useQueue(filters);
  const now = Date.now();

  const claimOne = async (item) => {
    const outcome = await claim(item.id);
    if (outcome.ok) setNotice(`You claimed “${item.title}”.`);
    else {
      if (outcome.claimant) setLost((l) => ({ ...l, [item.id]: outcome.claimant }));
      setNotice(`“${item.title}” was not claimed: ${outcome.message}.`);
    }
    refresh();
  };
  const release = async (item) => {
    const result = await api(`${exceptionPath(item.id)}/release`, { method: 'POST', body: {} });
    setNotice(result.ok ? `You released “${item.title}”.` : result.problem);
    refresh();
  };
  const bulkClaim = async () => {
    const chosen = items.filter((i) => selected.has(i.id));
    const outcomes = await Promise.all(chosen.map((i) => claim(i.id)));
    const won = outcomes.filter((o) => o.ok).length;
    const missed = outcomes.flatMap((o, i) => (o.ok ? [] : [`${chosen[i].title}: ${o.message}`]));
    setSelected(new Set());
    setNotice([`Claimed ${won} of ${chosen.length}.`, ...missed].join(' '));
    refresh();
  };
  const toggle = (id) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  return html`<section aria-labelledby="queue-title">
    <h2 id="queue-title">Queue</h2>
    <${Filters} filters=${filters} setFilters=${setFilters} capabilities=${capabilities} />
    <p class="notice" role="status" aria-live="polite">${notice ?? ''}</p>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <div class="toolbar">
      <button type="button" disabled=${selected.size === 0} onClick=${bulkClaim}>Claim selected (${selected.size})</button>
      <span class="muted">${items.length} shown, soonest deadline first; refreshes every few seconds</span>
    </div>
    <table class="queue">
      <thead><tr><th scope="col"><span class="sr-only">Select</span></th><th scope="col">Exception</th><th scope="col">Severity</th><th scope="col">Where</th>
        <th scope="col">Status</th><th scope="col">Age</th><th scope="col">SLA</th><th scope="col">Actions</th></tr></thead>
      <tbody>
        ${items.map((item) => {
          const sla = slaCountdown(item, now);
          const mine = item.claimant === me.sub;
          const lostTo = lost[item.id] && item.claimant === lost[item.id] ? lost[item.id] : null;
          return html`<tr key=${item.id} data-id=${item.id} class=${item.overdue ? 'overdue' : ''}>
            <td>${item.status === 'open' && html`<input type="checkbox" aria-label=${`Select ${item.title}`} checked=${selected.has(item.id)} onChange=${() => toggle(item.id)} />`}</td>
            <td><a href=${`#/exception/${encodeURIComponent(item.id)}`}>${item.title}</a><div class="muted">${item.type}</div></td>
            <td><span class=${`sev sev-${item.severity}`}>${item.severity}</span></td>
            <td>${item.capability} · ${item.region}<div class="muted">${item.area}</div></td>
            <td class="status">${item.status === 'claimed' ? html`<span class=${lostTo ? 'lost' : ''}>claimed by ${mine ? 'you' : item.claimant}</span>` : item.status}
              ${item.owner && html`<div class="muted">owner ${item.owner}</div>`}</td>
            <td>${age(item.createdAt, now)}</td>
            <td class=${sla.late ? 'late' : ''}>${sla.text}</td>
            <td class="actions">
              ${item.status === 'open' && html`<button type="button" onClick=${() => claimOne(item)} aria-label=${`Claim ${item.title}`}>Claim</button>`}
              ${mine && html`<button type="button" onClick=${() => release(item)} aria-label=${`Release ${item.title}`}>Release</button>`}
              ${mine && html`<a class="button" href=${`#/exception/${encodeURIComponent(item.id)}`} aria-label=${`Resolve ${item.title}`}>Resolve…</a>`}
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
    ${items.length === 0 && html`<p class="muted">Nothing matches these filters.</p>`}
  </section>`;
}
