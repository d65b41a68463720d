import { useEffect, useState } from 'preact/hooks';
import { api, hasRole, html } from './lib.js';

const base = (capability) => `/api/v1/capabilities/${encodeURIComponent(capability)}`;
const show = (v) => (v === undefined || v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function RehearsalTable({ rehearsal, caption }) {
  if (!rehearsal) return null;
  return html`${rehearsal.matrixChangedSince && html`<p class="notice">The ownership matrix of ${rehearsal.region} changed after this rehearsal: rehearse again to see where exceptions would go now.</p>`}
  <table class="rehearsal" data-region=${rehearsal.region}>
    <caption>${caption}: ${rehearsal.total - rehearsal.failed} of ${rehearsal.total} scenarios pass (template version ${rehearsal.templateVersion}${rehearsal.at ? `, ${new Date(rehearsal.at).toLocaleString()}` : ''})</caption>
    <thead><tr><th scope="col">Scenario</th><th scope="col">Result</th><th scope="col">What happened</th></tr></thead>
    <tbody>${rehearsal.results.map((r) => html`<tr data-scenario=${r.id}>
      <td><strong>${r.id}</strong><br /><span class="muted">${r.description}</span></td>
      <td class=${r.pass ? 'pass' : 'fail'}><strong>${r.pass ? 'pass' : 'fail'}</strong></td>
      <td>${r.pass
        ? r.outcome === 'quarantined' ? `quarantined for ${r.quarantinedFields.join(', ')}` : `${r.route?.area}: ${r.route?.to} ${r.route?.owner ?? ''}; steps ${r.escalation.map((s) => s.target ?? 'nobody').join(' → ')}`
        : r.reasons.join('; ')}</td>
    </tr>`)}</tbody>
  </table>`;
}

/** What adopting a version would change in a region: diff, impact on open exceptions, the rehearsal of the candidate. */
function Preview({ capability, preview, me, onAdopted }) {
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  const { region, from, to, diff, impact, rehearsal, overlayErrors } = preview;
  const adopt = async () => {
    setBusy(true);
    const result = await api(`${base(capability)}/regions/${region}/adoption`, { method: 'POST', body: { version: to } });
    setBusy(false);
    if (!result.ok) return setMessage(result.problem);
    const r = result.body.rehearsal;
    setMessage(`${region} now runs version ${to} (rehearsal: ${r.total - r.failed} of ${r.total} scenarios pass).`);
    onAdopted();
  };
  return html`<section aria-labelledby="preview-title" class="card preview">
    <h3 id="preview-title">Version ${to} in ${region} (now on version ${from})</h3>
    ${overlayErrors.length > 0 && html`<div role="alert" class="error"><p>${region}'s overlay does not fit version ${to}; adopting it is refused until the overlay changes:</p>
      <ul>${overlayErrors.map((e) => html`<li><code>${e.path}</code>: ${e.message}</li>`)}</ul></div>`}
    <table class="diff"><caption>What changes (${diff.length})</caption>
      <thead><tr><th scope="col">Area</th><th scope="col">Change</th><th scope="col">Path</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
      <tbody>${diff.length === 0 ? html`<tr><td colspan="5" class="muted">No difference for this region.</td></tr>` : diff.map((c) => html`<tr data-path=${c.path}>
        <td>${c.section}</td><td class=${c.kind}>${c.kind}</td><td><code>${c.path}</code></td><td>${show(c.before)}</td><td>${show(c.after)}</td></tr>`)}</tbody>
    </table>
    ${impact && html`<h4>Impact on ${region}'s ${impact.open} open exceptions, had they been raised under version ${to}</h4>
      <p class="muted">Open exceptions keep the version they were raised under; these counts say what the new version would do to exceptions like them.</p>
      <dl class="impact" aria-label="Impact">
        <div><dt>Would change owner</dt><dd data-impact="changeOwner">${impact.changeOwner}</dd></div>
        <div><dt>Would change deadline</dt><dd data-impact="changeDeadline">${impact.changeDeadline}</dd></div>
        <div><dt>Would fail the new contract</dt><dd data-impact="failContract">${impact.failContract}</dd></div>
        <div><dt>Affected in all</dt><dd data-impact="affected">${impact.affected}</dd></div>
      </dl>`}
    <${RehearsalTable} rehearsal=${rehearsal} caption=${`Rehearsal of version ${to} in ${region}`} />
    <p role="status" aria-live="polite" class="notice">${message ?? ''}</p>
    ${hasRole(me, 'manager') && html`<button type="button" disabled=${busy || overlayErrors.length > 0} onClick=${adopt}>Adopt version ${to} in ${region}</button>`}
  </section>`;
}

export function Templates({ me, capabilities }) {
  const [chosen, setChosen] = useState('');
  const capability = chosen || (capabilities[0]?.id ?? '');
  const [history, setHistory] = useState(null);
  const [rehearsals, setRehearsals] = useState({});
  const [preview, setPreview] = useState(null);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!capability) return;
    void (async () => {
      const h = await api(`${base(capability)}/versions`);
      if (!h.ok) return setError(h.problem);
      setHistory(h.body);
      const stored = await Promise.all(h.body.regions.map((r) => api(`${base(capability)}/regions/${r.region}/rehearsal`)));
      setRehearsals(Object.fromEntries(h.body.regions.map((r, i) => [r.region, stored[i].ok ? stored[i].body : null])));
    })();
  }, [capability, tick]);
  const open = async (region, version) => {
    setPreview(null);
    const result = await api(`${base(capability)}/regions/${region}/adoption?version=${version}`);
    if (!result.ok) return setError(result.problem);
    setError(null);
    setPreview(result.body);
  };
  const rehearse = async (region) => {
    const result = await api(`${base(capability)}/regions/${region}/rehearsal`, { method: 'POST' });
    if (!result.ok) return setError(result.problem);
    setRehearsals({ ...rehearsals, [region]: result.body });
  };

  return html`<section aria-labelledby="templates-title">
    <h2 id="templates-title">Template versions</h2>
    <p class="inline"><label for="template-capability">Capability</label>
      <select id="template-capability" value=${capability} onChange=${(e) => { setChosen(e.currentTarget.value); setPreview(null); }}>
        ${capabilities.map((c) => html`<option value=${c.id}>${c.name} (${c.id})</option>`)}
      </select></p>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${history && html`<table class="versions"><caption>Regions: the latest published version is ${history.latest}</caption>
      <thead><tr><th scope="col">Region</th><th scope="col">Runs version</th><th scope="col">Preview and adopt</th></tr></thead>
      <tbody>${history.regions.map((r) => html`<tr data-region=${r.region}><td>${r.region}</td><td>${r.templateVersion}${r.behind > 0 ? html` <span class="muted">(${r.behind} behind)</span>` : ''}</td>
        <td>${history.versions.filter((v) => v.version !== r.templateVersion).slice(0, 3).map((v) => html`<button type="button" class="small" onClick=${() => open(r.region, v.version)}>Preview version ${v.version} for ${r.region}</button> `)}</td></tr>`)}</tbody>
    </table>
    <details><summary>Version history</summary><ul>${history.versions.map((v) => html`<li>Version ${v.version}, published ${new Date(v.publishedAt).toLocaleString()} by ${v.publishedBy}${v.regions.length ? ` · run by ${v.regions.join(', ')}` : ''}</li>`)}</ul>
      <p class="muted">Who adopted which version, when: the audit log (template.adopted).</p></details>`}
    ${preview && html`<${Preview} capability=${capability} preview=${preview} me=${me} onAdopted=${() => setTick(tick + 1)} />`}
    ${history && html`<section aria-labelledby="rehearsals-title" class="card"><h3 id="rehearsals-title">Rehearsals</h3>
      <p class="muted">Each region's scenarios against its matrix, without raising anything; run when a version or an overlay is saved, or now.</p>
      ${history.regions.map((r) => html`<div>
        <button type="button" class="small" onClick=${() => rehearse(r.region)}>Rehearse ${r.region} now</button>
        ${rehearsals[r.region] ? html`<${RehearsalTable} rehearsal=${rehearsals[r.region]} caption=${`Latest rehearsal in ${r.region}`} />` : html`<p class="muted">No rehearsal of ${r.region} yet.</p>`}
      </div>`)}
    </section>`}
  </section>`;
}
