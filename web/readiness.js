import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { api, hasRole, html } from './lib.js';

const REFRESH_MS = 10_000;
const RATE_SERIES = [
  ['automation-rate', '#1d4ed8'],
  ['input-reliability', '#b45309'],
  ['sla-breach-rate', '#b91c1c'],
  ['adoption', '#166534'],
];

/** A measured value as people read it: rates as percentages, counts as they are. */
export function shown(criterion) {
  if (criterion.measured === null) return '—';
  const rate = ['automation-rate', 'input-reliability', 'sla-breach-rate', 'adoption'].includes(criterion.id);
  const fmt = (v) => (rate ? `${Math.round(v * 1000) / 10}%` : String(v));
  return criterion.threshold === null ? fmt(criterion.measured) : `${fmt(criterion.measured)} (${criterion.comparison} ${fmt(criterion.threshold)})`;
}

const verdict = (c) => (c.pass === null ? ['info', 'info'] : c.pass ? ['pass', '✓ pass'] : ['fail', '✗ fail']);

/** The daily trend of each rate criterion, drawn by uPlot, with the numbers as a table too. */
function Trend({ region, items }) {
  const target = useRef(null);
  const days = items.map((i) => i.day);
  const series = RATE_SERIES.map(([id]) => items.map((i) => i.criteria.find((c) => c.id === id)?.measured ?? null));
  useEffect(() => {
    if (!target.current || days.length === 0) return;
    const plot = new uPlot(
      {
        width: 420,
        height: 200,
        scales: { x: { time: true }, y: { range: [0, 1] } },
        series: [{}, ...RATE_SERIES.map(([id, color]) => ({ label: id, stroke: color, width: 2 }))],
        axes: [{ stroke: '#222' }, { stroke: '#222', values: (_u, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`) }],
      },
      [days.map((d) => Date.parse(d) / 1000), ...series],
      target.current,
    );
    return () => plot.destroy();
  }, [JSON.stringify(items)]);
  return html`<figure class="chart">
    <figcaption>${region}: daily trend</figcaption>
    ${days.length === 0 ? html`<p class="muted">No daily snapshots yet: the schedule writes one each night (or run npm run readiness:backfill).</p>` : html`<div ref=${target} aria-hidden="true"></div>`}
    <details><summary>The numbers</summary>
      <table class="trend"><thead><tr><th scope="col">Day</th>${RATE_SERIES.map(([id]) => html`<th scope="col">${id}</th>`)}<th scope="col">Days stable</th><th scope="col">Held</th></tr></thead>
      <tbody>${items.map((i) => html`<tr><td>${i.day}</td>${RATE_SERIES.map(([id]) => html`<td>${shown({ id, measured: i.criteria.find((c) => c.id === id)?.measured ?? null, threshold: null })}</td>`)}
        <td>${i.criteria.find((c) => c.id === 'days-stable')?.measured ?? '—'}</td><td>${i.held ? 'yes' : 'no'}</td></tr>`)}</tbody></table>
    </details>
  </figure>`;
}

/** Weekly totals of each value event, in its unit. */
function Value({ card }) {
  const weeks = card.value[0]?.weeks ?? [];
  return html`<table class="value" aria-label=${`${card.region}: value per week`}>
    <caption>${card.region}</caption>
    <thead><tr><th scope="col">Value event</th>${weeks.map((w) => html`<th scope="col">week of ${w.from.slice(0, 10)}</th>`)}<th scope="col">Per week</th></tr></thead>
    <tbody>${card.value.map((v) => html`<tr><th scope="row">${v.id}${v.unit ? html` <span class="muted">(${v.unit})</span>` : ''}</th>${v.weeks.map((w) => html`<td>${w.total}</td>`)}<td>${v.perWeek}</td></tr>`)}</tbody>
  </table>`;
}

function Promote({ capability, card, onChanged }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState(null);
  const path = `/api/v1/capabilities/${encodeURIComponent(capability)}/regions/${encodeURIComponent(card.region)}/stage`;
  const send = async (body) => {
    setError(null);
    const result = await api(path, { method: 'PUT', body });
    if (!result.ok) return setError(result.problem);
    setReason('');
    onChanged();
  };
  if (card.stage === 'production') return html`<p>In production${card.flaggedAt ? html` <strong class="late">— below a threshold since ${new Date(card.flaggedAt).toLocaleDateString()}</strong>` : ''}</p>`;
  const why = `why-${card.region}`;
  const failing = card.criteria.filter((c) => c.pass === false);
  return html`<div class="promote">
    <button type="button" disabled=${!card.ready} aria-describedby=${why} onClick=${() => send({ stage: 'production' })}>Promote ${card.region} to production</button>
    <p id=${why} class="muted">${card.ready ? 'Every criterion holds.' : `Not ready: ${failing.map((c) => c.label).join(', ')}.`}</p>
    ${!card.ready && html`<details><summary>Override (with a reason, audited)</summary>
      <form class="inline" onSubmit=${(e) => { e.preventDefault(); void send({ stage: 'production', override: true, reason }); }}>
        <label for=${`override-${card.region}`}>Reason</label>
        <input id=${`override-${card.region}`} required value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
        <button type="submit">Promote anyway</button>
      </form></details>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </div>`;
}

/** Readiness per capability: criteria as rows, regions as columns, pass/fail at a glance. */
export function Readiness({ me, capabilities }) {
  const [chosen, setChosen] = useState('');
  const capability = chosen || (capabilities[0]?.id ?? '');
  const [cards, setCards] = useState([]);
  const [history, setHistory] = useState({});
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!capability) return;
    let live = true;
    const load = async () => {
      const q = encodeURIComponent(capability);
      const result = await api(`/api/v1/capabilities/${q}/readiness`);
      if (!live) return;
      setError(result.ok ? null : result.problem);
      const regions = result.ok ? result.body.regions : [];
      setCards(regions);
      const trends = await Promise.all(regions.map((c) => api(`/api/v1/capabilities/${q}/regions/${encodeURIComponent(c.region)}/readiness/history?days=30`)));
      if (live) setHistory(Object.fromEntries(regions.map((c, i) => [c.region, trends[i].ok ? trends[i].body.items : []])));
    };
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [capability, tick]);
  const download = async () => {
    const result = await api(`/api/v1/capabilities/${encodeURIComponent(capability)}/readiness`, { accept: 'text/csv' });
    if (!result.ok) return setError(result.problem);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([result.body], { type: 'text/csv' }));
    link.download = `${capability}-readiness.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  };

  if (capabilities.length === 0) return html`<p>No capability is in your scope yet.</p>`;
  const ids = cards[0]?.criteria.map((c) => c.id) ?? [];
  return html`<section aria-labelledby="readiness-title">
    <h2 id="readiness-title">Readiness</h2>
    <div class="toolbar">
      <label>Capability <select value=${capability} onChange=${(e) => setChosen(e.currentTarget.value)}>${capabilities.map((c) => html`<option value=${c.id}>${c.name} (${c.id})</option>`)}</select></label>
      <button type="button" onClick=${download}>Download CSV</button>
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${cards.length > 0 && html`<p class="muted">Over the last ${cards[0].window.days} days, today included.</p>
    <table class="scorecard">
      <thead><tr><th scope="col">Criterion</th>${cards.map((c) => html`<th scope="col" data-region=${c.region}>${c.region} <span class="muted">${c.stage}</span></th>`)}</tr></thead>
      <tbody>
        ${ids.map((id) => html`<tr data-criterion=${id}><th scope="row">${cards[0].criteria.find((c) => c.id === id).label}</th>
          ${cards.map((card) => {
            const c = card.criteria.find((x) => x.id === id);
            const [cls, label] = verdict(c);
            return html`<td class=${cls} data-cell=${`${card.region}/${id}`}><strong>${label}</strong> ${shown(c)}<p class="why">${c.why}</p><code class="muted">${c.evidence}</code></td>`;
          })}</tr>`)}
        <tr data-criterion="ready"><th scope="row">Ready for production</th>
          ${cards.map((card) => html`<td class=${card.ready ? 'pass' : 'fail'} data-cell=${`${card.region}/ready`}><strong>${card.ready ? '✓ ready' : '✗ not ready'}</strong>
            ${hasRole(me, 'manager') && html`<${Promote} capability=${capability} card=${card} onChanged=${() => setTick((t) => t + 1)} />`}</td>`)}</tr>
      </tbody>
    </table>
    <h3>Value per week</h3>
    ${cards.map((card) => html`<${Value} card=${card} />`)}
    <h3>Trend</h3>
    <div class="charts">${cards.map((card) => html`<${Trend} region=${card.region} items=${history[card.region] ?? []} />`)}</div>`}
  </section>`;
}
