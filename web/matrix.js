import { useState } from 'preact/hooks';
import { api, AREAS, html } from './lib.js';

function CellEditor({ capability, region, area, cell, version, people, onDone }) {
  const [form, setForm] = useState({ owner: cell.owner ?? '', backup: cell.backup ?? '', escalation: cell.escalation.join(', '), reason: '' });
  const [error, setError] = useState(null);
  const field = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
  const id = `${region}-${area}`;
  const save = async (e) => {
    e.preventDefault();
    const body = {
      owner: form.owner,
      backup: form.backup || null,
      escalation: form.escalation.split(/[\s,]+/).filter(Boolean),
      reason: form.reason,
    };
    const result = await api(`/api/v1/capabilities/${capability}/ownership/${region}/${area}`, { method: 'PUT', body, headers: { 'if-match': `"${version}"` } });
    if (result.ok) onDone(`Saved ${region} / ${area}.`);
    else if (result.status === 409) onDone(`Not saved: the matrix changed since you opened it (${result.problem}). It has been reloaded; edit again.`);
    else setError(result.problem);
  };
  const options = (allowNone) => html`${allowNone && html`<option value="">none</option>`}${people.map((p) => html`<option value=${p.id}>${p.name} (${p.id})</option>`)}`;
  return html`<form class="cell-editor" onSubmit=${save} aria-label=${`Edit ${region} ${area}`}>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <label for=${`owner-${id}`}>Owner</label><select id=${`owner-${id}`} required value=${form.owner} onChange=${field('owner')}><option value="">choose…</option>${options(false)}</select>
    <label for=${`backup-${id}`}>Backup</label><select id=${`backup-${id}`} value=${form.backup} onChange=${field('backup')}>${options(true)}</select>
    <label for=${`chain-${id}`}>Escalation chain (ids, in order)</label><input id=${`chain-${id}`} value=${form.escalation} onInput=${field('escalation')} />
    <label for=${`reason-${id}`}>Why</label><input id=${`reason-${id}`} required value=${form.reason} onInput=${field('reason')} />
    <div><button type="submit">Save</button> <button type="button" onClick=${() => onDone(null)}>Cancel</button></div>
  </form>`;
}

/** Regions × areas; each cell's owner, backup and chain, with its gaps highlighted. */
export function Matrix({ capability, matrix, gaps, people, canEdit, onChanged }) {
  const [editing, setEditing] = useState(null);
  const [notice, setNotice] = useState(null);
  if (!matrix) return html`<p>Loading the matrix…</p>`;
  const name = (id) => people.find((p) => p.id === id)?.name ?? id;
  const done = (message) => {
    setEditing(null);
    setNotice(message);
    onChanged();
  };
  return html`<section aria-labelledby="matrix-title">
    <h3 id="matrix-title">Ownership matrix <small class="muted">version ${matrix.version}</small></h3>
    <p role="status" aria-live="polite" class="notice">${notice ?? ''}</p>
    <table class="matrix">
      <thead><tr><th scope="col">Region</th>${AREAS.map((a) => html`<th scope="col">${a}</th>`)}</tr></thead>
      <tbody>
        ${Object.entries(matrix.regions).map(
          ([region, cells]) => html`<tr><th scope="row">${region}</th>
            ${AREAS.map((area) => {
              const cell = cells[area];
              const findings = gaps.filter((g) => g.capability === capability && g.region === region && g.area === area);
              const key = `${region}/${area}`;
              return html`<td class=${findings.length ? 'gap' : ''} data-cell=${key}>
                ${editing === key
                  ? html`<${CellEditor} capability=${capability} region=${region} area=${area} cell=${cell} version=${matrix.version} people=${people} onDone=${done} />`
                  : html`<dl>
                      <dt>Owner</dt><dd>${cell.owner ? name(cell.owner) : html`<strong>unowned</strong>`}</dd>
                      <dt>Backup</dt><dd>${cell.backup ? name(cell.backup) : '—'}</dd>
                      <dt>Chain</dt><dd>${cell.escalation.length ? cell.escalation.map(name).join(' → ') : '—'}</dd>
                    </dl>
                    ${findings.length > 0 && html`<ul class="gap-kinds" aria-label="Gaps">${findings.map((f) => html`<li title=${f.detail}>⚠ ${f.kind}</li>`)}</ul>`}
                    ${canEdit && html`<button type="button" class="small" onClick=${() => setEditing(key)} aria-label=${`Edit ${region} ${area}`}>Edit</button>`}`}
              </td>`;
            })}
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

/** Every finding of the gap audit, with the CSV the API produces. */
export function GapAudit({ capability, gaps }) {
  const download = async () => {
    const result = await api(`/api/v1/audit/ownership-gaps?capability=${encodeURIComponent(capability)}`, { accept: 'text/csv' });
    if (!result.ok) return;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([result.body], { type: 'text/csv' }));
    link.download = `ownership-gaps-${capability}.csv`;
    link.click();
    // Some browsers still read the URL after click() returns.
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  };
  return html`<section aria-labelledby="gaps-title">
    <h3 id="gaps-title">Gap audit <small class="muted">${gaps.length} finding${gaps.length === 1 ? '' : 's'}</small></h3>
    <button type="button" onClick=${download}>Download CSV</button>
    <table class="gaps">
      <thead><tr><th scope="col">Kind</th><th scope="col">Where</th><th scope="col">Detail</th><th scope="col">Since</th></tr></thead>
      <tbody>${gaps.map((g) => html`<tr data-kind=${g.kind}><td>${g.kind}</td><td>${[g.capability, g.region, g.area, g.person].filter(Boolean).join(' · ')}</td>
        <td>${g.detail}</td><td>${g.since ? new Date(g.since).toLocaleString() : '—'}</td></tr>`)}</tbody>
    </table>
  </section>`;
}
