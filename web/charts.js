import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './lib.js';

const HOUR = 3_600_000;
export const AGE_BUCKETS = [
  ['< 1h', HOUR],
  ['1–4h', 4 * HOUR],
  ['4–24h', 24 * HOUR],
  ['1–3d', 72 * HOUR],
  ['> 3d', Infinity],
];

/** Open (and claimed) exceptions counted by how long ago they were raised. */
export function byAgeBucket(items, now = Date.now()) {
  const counts = AGE_BUCKETS.map(() => 0);
  for (const item of items) {
    const age = now - Date.parse(item.createdAt);
    counts[AGE_BUCKETS.findIndex(([, upTo]) => age < upTo)] += 1;
  }
  return { labels: AGE_BUCKETS.map(([label]) => label), counts };
}

/** Live exceptions past a deadline, per region. */
export function breachesByRegion(items) {
  const counts = new Map();
  for (const item of items) counts.set(item.region, (counts.get(item.region) ?? 0) + (item.overdue ? 1 : 0));
  const labels = [...counts.keys()].sort();
  return { labels, counts: labels.map((l) => counts.get(l)) };
}

/** A bar chart drawn by uPlot, with the same numbers as text for screen readers. */
export function BarChart({ title, labels, counts, color }) {
  const target = useRef(null);
  useEffect(() => {
    if (!target.current) return;
    const plot = new uPlot(
      {
        width: 360,
        height: 200,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [
          { values: (_u, splits) => splits.map((i) => labels[i] ?? ''), splits: () => labels.map((_l, i) => i), stroke: '#222' },
          { stroke: '#222', incrs: [1, 2, 5, 10, 20, 50, 100] },
        ],
        series: [{}, { label: title, fill: color, stroke: color, paths: uPlot.paths.bars({ size: [0.6, 60] }), points: { show: false } }],
      },
      [labels.map((_l, i) => i), counts],
      target.current,
    );
    return () => plot.destroy();
  }, [JSON.stringify([labels, counts])]);
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <div ref=${target} aria-hidden="true"></div>
    <ul class="sr-only">${labels.map((l, i) => html`<li>${l}: ${counts[i]}</li>`)}</ul>
  </figure>`;
}
