import { useEffect, useState } from 'preact/hooks';
import { claim } from './queue.js';
import { age, api, dueText, duration, exceptionPath, html, slaCountdown } from './lib.js';
import { Markdown } from './markdown.js';

const REFRESH_MS = 3000;
// Browsers compile pattern attributes with the v flag, where a bare '-' in a class is an error.
const CODE_PATTERN = '[a-z][a-z0-9\\-]{0,63}';

function Trust({ exception }) {
  const { confidence, qualityChecks, sourceRefs } = exception.trust;
  const level = confidence === null ? 'unknown' : confidence < 0.5 ? 'low' : confidence < 0.8 ? 'medium' : 'high';
  return html`<section aria-labelledby="trust-title" class="card">
    <h3 id="trust-title">Can this be trusted?</h3>
    <p class=${`confidence confidence-${level}`}>
      <label for="confidence">Confidence</label>
      ${confidence === null ? html` <strong>not reported</strong>` : html` <meter id="confidence" min="0" max="1" low="0.5" high="0.8" optimum="1" value=${confidence}></meter>
        <strong>${Math.round(confidence * 100)}% (${level})</strong>`}
    </p>
    <h4>Quality checks</h4>
    ${qualityChecks.length === 0 ? html`<p class="muted">None reported.</p>` : html`<ul class="checks">
      ${qualityChecks.map((c) => html`<li class=${c.passed ? 'pass' : 'fail'}><span aria-hidden="true">${c.passed ? '✔' : '✖'}</span> <strong>${c.passed ? 'pass' : 'fail'}</strong> ${c.name}${c.detail ? ` — ${c.detail}` : ''}</li>`)}
    </ul>`}
    <h4>Source references</h4>
    ${sourceRefs.length === 0 ? html`<p class="muted">None reported.</p>` : html`<table class="refs">
      <thead><tr><th scope="col">System</th><th scope="col">Record</th><th scope="col">Field</th><th scope="col">Value at source</th><th scope="col">In the payload</th></tr></thead>
      <tbody>${sourceRefs.map((r) => {
        const traced = Object.hasOwn(exception.payload, r.field);
        return html`<tr><td>${r.system}</td><td>${r.record}</td><td><code>${r.field}</code></td><td>${r.value === undefined ? '—' : JSON.stringify(r.value)}</td>
          <td>${traced ? html`<code>payload.${r.field}</code> = ${JSON.stringify(exception.payload[r.field])}` : html`<span class="muted">not in payload</span>`}</td></tr>`;
      })}</tbody>
    </table>`}
  </section>`;
}

/** The type's procedure from the template version the exception was raised under, with the region's note. */
function Procedure({ exception }) {
  const p = exception.procedure;
  if (!p || (!p.markdown && !p.localNote)) return null;
  return html`<section aria-labelledby="procedure-title" class="card procedure">
    <h3 id="procedure-title">How to handle it</h3>
    <p class="muted">Procedure for ${exception.type}${p.templateVersion ? `, template version ${p.templateVersion}` : ''}</p>
    ${p.markdown ? html`<${Markdown} text=${p.markdown} />` : html`<p class="muted">The template has no procedure for this type.</p>`}
    ${p.localNote && html`<h4>Note for ${exception.region}</h4><${Markdown} text=${p.localNote} />`}
  </section>`;
}

function Actions({ exception, me, valueEvents, onChanged }) {
  const [message, setMessage] = useState(null);
  const [resolution, setResolution] = useState({ code: 'corrected-and-released', note: '', valueEvent: '' });
  const [comment, setComment] = useState('');
  const [waitFor, setWaitFor] = useState({ reason: 'supplier', note: '', until: '' });
  const live = exception.status === 'open' || exception.status === 'claimed';
  const mine = exception.claimant === me.sub;
  const post = async (action, body, done) => {
    const result = await api(`${exceptionPath(exception.id)}/${action}`, { method: 'POST', body });
    setMessage(result.ok ? done : result.problem);
    onChanged();
    return result.ok;
  };
  const doClaim = async () => {
    const outcome = await claim(exception.id);
    setMessage(outcome.ok ? 'You claimed it.' : `Not claimed: ${outcome.message}.`);
    onChanged();
  };
  const resolve = async (e) => {
    e.preventDefault();
    const body = { code: resolution.code.trim(), ...(resolution.note.trim() ? { note: resolution.note.trim() } : {}), ...(resolution.valueEvent ? { valueEvent: resolution.valueEvent } : {}) };
    await post('resolve', body, 'Resolved.');
  };
  const addComment = async (e) => {
    e.preventDefault();
    if (await post('comments', { text: comment }, 'Comment added.')) setComment('');
  };
  const field = (key) => (e) => setResolution({ ...resolution, [key]: e.currentTarget.value });
  const mayWait = exception.status === 'claimed' && (mine || exception.owner === me.sub || me.roles.includes('manager') || me.roles.includes('admin'));
  const setWaiting = async (e) => {
    e.preventDefault();
    const until = waitFor.until ? new Date(waitFor.until).toISOString() : undefined;
    await post('waiting', { reason: waitFor.reason, ...(waitFor.note.trim() ? { note: waitFor.note.trim() } : {}), ...(until ? { until } : {}) }, 'Waiting: the resolve clock is paused.');
  };

  return html`<section aria-labelledby="actions-title" class="card">
    <h3 id="actions-title">Work on it</h3>
    <p role="status" aria-live="polite" class="notice">${message ?? ''}</p>
    ${exception.status === 'open' && html`<button type="button" onClick=${doClaim}>Claim</button>`}
    ${exception.status === 'claimed' && !mine && html`<p class="lost">Claimed by ${exception.claimant}.</p>`}
    ${mine && html`<button type="button" onClick=${() => post('release', {}, 'Released back to the queue.')}>Release</button>`}
    ${mayWait && exception.waiting && html`<p class="waiting">Waiting on ${exception.waiting.reason} since ${new Date(exception.waiting.since).toLocaleString()}${exception.waiting.note ? `: ${exception.waiting.note}` : ''}.
      <button type="button" onClick=${() => post('resume', {}, 'Resumed: the resolve clock runs again.')}>Resume</button></p>`}
    ${mayWait && !exception.waiting && html`<form class="waiting" onSubmit=${setWaiting} aria-label="Wait on others">
      <label for="wait-reason">Waiting on</label>
      <select id="wait-reason" value=${waitFor.reason} onChange=${(e) => setWaitFor({ ...waitFor, reason: e.currentTarget.value })}>
        ${['supplier', 'upstream-data-fix', 'another-team', 'customer', 'other'].map((r) => html`<option value=${r}>${r}</option>`)}
      </select>
      <label for="wait-note">What it waits for</label>
      <input id="wait-note" value=${waitFor.note} onInput=${(e) => setWaitFor({ ...waitFor, note: e.currentTarget.value })} />
      <label for="wait-until">Until (optional)</label>
      <input id="wait-until" type="datetime-local" value=${waitFor.until} onInput=${(e) => setWaitFor({ ...waitFor, until: e.currentTarget.value })} />
      <button type="submit">Set waiting</button>
    </form>`}
    ${live && mine && html`<form class="resolve" onSubmit=${resolve} aria-label="Resolve">
      <label for="code">Resolution code</label>
      <input id="code" required pattern=${CODE_PATTERN} value=${resolution.code} onInput=${field('code')} list="codes" />
      <datalist id="codes"><option value="corrected-and-released" /><option value="accepted-as-is" /><option value="rejected" /><option value="escalated-upstream" /></datalist>
      <label for="note">Note</label>
      <textarea id="note" rows="2" value=${resolution.note} onInput=${field('note')}></textarea>
      <label for="value-event">Value event</label>
      <select id="value-event" value=${resolution.valueEvent} onChange=${field('valueEvent')}>
        <option value="">none</option>
        ${valueEvents.map((v) => html`<option value=${v.id}>${v.id} — ${v.description}</option>`)}
      </select>
      <button type="submit">Resolve</button>
    </form>`}
    <form class="comment" onSubmit=${addComment} aria-label="Comment">
      <label for="comment">Comment</label>
      <textarea id="comment" rows="2" required value=${comment} onInput=${(e) => setComment(e.currentTarget.value)}></textarea>
      <button type="submit">Add comment</button>
    </form>
  </section>`;
}

export function Detail({ id, me }) {
  const [exception, setException] = useState(null);
  const [timeline, setTimeline] = useState([]);
  const [valueEvents, setValueEvents] = useState([]);
  const [error, setError] = useState(null);
  const load = async () => {
    const [one, events] = await Promise.all([api(exceptionPath(id)), api(`${exceptionPath(id)}/timeline`)]);
    if (!one.ok) return setError(one.problem);
    setException(one.body);
    if (events.ok) setTimeline(events.body.items);
  };
  useEffect(() => {
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [id]);
  useEffect(() => {
    if (!exception) return;
    void api(`/api/v1/capabilities/${exception.capability}/regions/${exception.region}`).then((r) => setValueEvents(r.ok ? (r.body.effective.valueEvents ?? []) : []));
  }, [exception?.capability, exception?.region]);

  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!exception) return html`<p>Loading…</p>`;
  const sla = slaCountdown(exception);
  return html`<article aria-labelledby="detail-title" class="detail">
    <p><a href="#/queue">← Queue</a></p>
    <h2 id="detail-title">${exception.title}</h2>
    <p class="summary"><span class=${`sev sev-${exception.severity}`}>${exception.severity}</span> · <span class="status-word">${exception.status}</span>
      ${exception.claimant && ` by ${exception.claimant}`} · ${exception.capability} ${exception.region} · ${exception.area} · owner ${exception.owner ?? 'nobody'}${' · '}raised ${age(exception.createdAt)} ago · <span class=${sla.late ? 'late' : ''}>${sla.text}</span></p>
    ${exception.sla && html`<p class="sla-detail">SLA: ${exception.sla.calendar === 'business' ? `working hours (${exception.sla.timeZone})` : '24x7'}${exception.sla.pausedMs > 0 ? ` · ${duration(exception.sla.pausedMs)} paused waiting on others` : ''}${
      exception.sla.warningsPending.length && !exception.waiting ? ` · next warning: ${exception.sla.warningsPending[0].kind} ${exception.sla.warningsPending[0].pct}% at ${dueText(exception.sla.warningsPending[0].at, exception.sla.timeZone)}` : ''}</p>`}
    ${timeline.some((t) => t.action === 'warning') && html`<p class="warnings" role="note">Warnings: ${timeline.filter((t) => t.action === 'warning').map((t) => t.to).join(', ')}</p>`}
    <div class="beside"><${Trust} exception=${exception} /><${Procedure} exception=${exception} /></div>
    <${Actions} exception=${exception} me=${me} valueEvents=${valueEvents} onChanged=${load} />
    ${exception.resolution && html`<section class="card" aria-label="Resolution"><h3>Resolution</h3>
      <p><strong>${exception.resolution.code}</strong> by ${exception.resolution.by}${exception.resolution.valueEvent ? ` · value: ${exception.resolution.valueEvent}` : ''}</p>
      ${exception.resolution.note && html`<p>${exception.resolution.note}</p>`}</section>`}
    <section class="card" aria-labelledby="payload-title"><h3 id="payload-title">Payload</h3>
      <dl class="payload">${Object.entries(exception.payload).map(([k, v]) => html`<dt>${k}</dt><dd>${typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>`)}</dl>
    </section>
    <section class="card" aria-labelledby="timeline-title"><h3 id="timeline-title">Timeline</h3>
      <ol class="timeline">${timeline.map((t) => html`<li key=${t.seq}><time datetime=${t.at}>${new Date(t.at).toLocaleString()}</time> <strong>${t.action}</strong> by ${t.actor}
        ${t.from || t.to ? ` (${t.from ?? '—'} → ${t.to ?? '—'})` : ''}${t.reason ? `: ${t.reason}` : ''}</li>`)}</ol>
      ${exception.comments.length > 0 && html`<h4>Comments</h4><ul>${exception.comments.map((c) => html`<li><strong>${c.by}</strong>: ${c.text}</li>`)}</ul>`}
    </section>
  </article>`;
}
