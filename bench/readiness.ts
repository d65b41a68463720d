// `npm run bench:readiness [-- --decisions 1000000 --http 100000 --exceptions 100000 --quarantined 20000]`: the
// readiness scorecard and the report path, against a ledger alone (no Temporal: both read and write
// only the ledger). Seeds one region with the volume issue 15 names, then times the scorecard.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import YAML from 'yaml';
import { createApp } from '../api/app.js';
import { createTokenVerifier, mintToken } from '../api/auth.js';
import { loadConfig } from '../config/index.js';
import { reportEvents } from '../api/services/reports.js';
import { parseTemplate } from '../domain/capability.js';
import { DAY_MS, scorecard } from '../domain/rules/readiness.js';
import { saveCapability, saveRollout } from '../ledger/catalog.js';
import { migrateLedger, openLedger } from '../ledger/db.js';
import { quarantineIntakes } from '../ledger/exceptions.js';
import { firedEverywhere, firedInRegion } from '../ledger/decision-evaluation.js';
import { readinessFacts } from '../ledger/readiness.js';
import { percentiles, round } from './stats.js';

const { values } = parseArgs({ options: { http: { type: 'string', default: '100000' }, decisions: { type: 'string', default: '1000000' }, exceptions: { type: 'string', default: '100000' }, quarantined: { type: 'string', default: '20000' }, batch: { type: 'string', default: '5000' } } });
const decisions = Number(values.decisions);

const exceptions = Number(values.exceptions);
const quarantined = Number(values.quarantined);
const batch = Number(values.batch);
const log = (line: string) => process.stderr.write(`${line}\n`);

const dir = mkdtempSync(path.join(os.tmpdir(), 'readiness-bench-'));
const ledger = openLedger({ file: path.join(dir, 'ledger.sqlite') });
await migrateLedger(ledger);
const parsed = parseTemplate(YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')), 'object');
if (!parsed.ok) throw new Error('the shipped template does not parse');
const template = parsed.template;
const at = new Date().toISOString();
await saveCapability(ledger, { id: 'po-assist', name: template.name, version: 1, template, source: '', updatedAt: at, updatedBy: 'bench' });
for (const region of ['NA', 'EMEA']) await saveRollout(ledger, { capabilityId: 'po-assist', region, overlay: {}, effective: template, templateVersion: template.version, updatedAt: at, updatedBy: 'bench' });

const now = Date.now();
const spread = (i: number, n: number) => now - 13 * DAY_MS + Math.floor((i / n) * (13 * DAY_MS - 60_000));

// 1. Ingest through the report service (validation, idempotent insert, daily totals, audit), as the endpoint does after parsing JSON.
const principal = { sub: 'erp', roles: ['integration' as const] };
let ingestMs = 0;
for (let start = 0; start < decisions; start += batch) {
  const items = Array.from({ length: Math.min(batch, decisions - start) }, (_, j) => ({
    kind: 'decision',
    key: `bench-${start + j}`,
    capability: 'po-assist',
    region: 'NA',
    occurredAt: new Date(spread(start + j, decisions)).toISOString(),
    quantity: 1,
    outcome: (start + j) % 3 ? 'place-order' : 'expedite',
  }));
  const body = JSON.stringify({ events: items });
  const began = performance.now();
  const results = await reportEvents(ledger, principal, (JSON.parse(body) as { events: unknown[] }).events, now);
  ingestMs += performance.now() - began;
  if (results.some((r) => r.status !== 201)) throw new Error(`a bench event was refused: ${JSON.stringify(results.find((r) => r.status !== 201))}`);
  if ((start / batch) % 20 === 0) log(`ingested ${start + items.length} decisions, ${round((start + items.length) / (ingestMs / 1000), 0)}/s so far`);
}

// 1b. The same through the endpoint itself, over HTTP on loopback: JSON parsing, auth, the route's schema,
// the service, the response. The report route never calls Temporal, so the client is a lazy one that never
// connects.
const httpEvents = Number(values.http);
let httpMs = 0;
if (httpEvents > 0) {
  const secret = 'bench-secret-that-is-long-enough-for-hs256-000000';
  const config = loadConfig({ AUTH_JWT_SECRET: secret, DATA_DIR: dir, METRICS: 'off', LOG_LEVEL: 'silent' });
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const app = createApp({ config, logger: pino({ level: 'silent' }), verifier: createTokenVerifier(config), version: 'bench', connection, client: new Client({ connection }), namespace: 'default', taskQueue: 'bench', ledger });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  const token = await mintToken(new TextEncoder().encode(secret), { sub: 'erp', roles: ['integration'] });
  for (let start = 0; start < httpEvents; start += batch) {
    const body = JSON.stringify({
      events: Array.from({ length: Math.min(batch, httpEvents - start) }, (_, j) => ({ kind: 'decision', key: `http-${start + j}`, capability: 'po-assist', region: 'NA', occurredAt: new Date(spread(start + j, httpEvents)).toISOString(), quantity: 1, outcome: 'place-order' })),
    });
    const began = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    const answer = (await res.json()) as { stored?: number };
    httpMs += performance.now() - began;
    if (res.status !== 200 || answer.stored !== Math.min(batch, httpEvents - start)) throw new Error(`the endpoint refused a bench batch: ${res.status} ${JSON.stringify(answer).slice(0, 500)}`);
  }
  await new Promise((resolve) => server.close(resolve));
  log(`reported ${httpEvents} decisions over HTTP, ${round(httpEvents / (httpMs / 1000), 0)}/s`);
}

// 2. Exceptions and their timelines, written as the projection would (columns and a claim event; the ledger's
// triggers keep the closed ones' per-day facts), and refused intakes.
const sample = { sev: ['critical', 'high', 'medium', 'low'], area: ['business-rules', 'model-retraining', 'exception-queue', 'adoption-training'] };
for (let start = 0; start < exceptions; start += 500) {
  const rows = Array.from({ length: Math.min(500, exceptions - start) }, (_, j) => {
    const i = start + j;
    const created = spread(i, exceptions);
    const closed = i % 10 === 0 ? null : created + 3 * 3_600_000;
    return {
      id: `exception:po-assist:BENCH-${i}`,
      capability: 'po-assist',
      region: 'NA',
      type: 'price-variance',
      area: sample.area[i % 4]!,
      severity: sample.sev[i % 4]!,
      title: 'bench',
      status: closed === null ? (i % 20 === 0 ? 'claimed' : 'open') : 'resolved',
      owner: 'priya',
      claimant: i % 20 === 0 || closed !== null ? `op${i % 40}` : null,
      escalation_level: 0,
      confidence: 0.5,
      claim_by: created + 3_600_000,
      resolve_by: created + DAY_MS,
      overdue_at: closed === null ? created + 3_600_000 : null,
      lease_until: null,
      snoozed_until: null,
      created_at: created,
      updated_at: closed ?? created,
      closed_at: closed,
      resolution_code: closed === null ? null : 'fixed',
      value_event: null,
      // What decision triggers count by (issue 19): a buyer and a model version on every row, a new version on the last tenth.
      subject: `buyer-${i % 50}`,
      model_version: i < exceptions * 0.9 ? 'po-rec-2.3.1' : 'po-rec-2.4.0',
      seq: closed === null ? 2 : 3,
      state: '{}',
    };
  });
  await ledger.transaction().execute(async (tx) => {
    await tx.insertInto('exceptions').values(rows).execute();
    const events = rows.flatMap((r) => [
      { exception_id: r.id, seq: 1, at: r.created_at, actor: 'erp', action: 'surfaced', from_value: null, to_value: 'open', reason: null, detail: '{}', fence: 0 },
      ...(r.claimant ? [{ exception_id: r.id, seq: 2, at: r.created_at + (Number(r.id.slice(r.id.lastIndexOf('-') + 1)) % 7) * 900_000, actor: r.claimant, action: 'claimed', from_value: 'open', to_value: 'claimed', reason: null, detail: '{}', fence: 0 }] : []),
      ...(r.closed_at ? [{ exception_id: r.id, seq: 3, at: r.closed_at, actor: r.claimant!, action: 'resolved', from_value: 'claimed', to_value: 'resolved', reason: null, detail: '{}', fence: 0 }] : []),
    ]);
    for (let k = 0; k < events.length; k += 500) await tx.insertInto('exception_events').values(events.slice(k, k + 500)).execute();
  });
}
// Refused intakes as intake refuses them (ledger/exceptions.ts: the row and its per-day counts in one transaction).
for (let start = 0; start < quarantined; start += 500) {
  await quarantineIntakes(
    ledger,
    Array.from({ length: Math.min(500, quarantined - start) }, (_, j) => ({ at: spread(start + j, quarantined), actor: 'erp', capability: 'po-assist', region: 'NA', type: 'price-variance', sourceKey: `Q-${start + j}`, reasons: [{ path: (start + j) % 3 ? 'payload.sku' : 'payload.poNumber', message: 'required' }], body: {} })),
  );
}
log(`seeded ${exceptions} exceptions and ${quarantined} refused intakes`);

// 3. The scorecard: facts from the ledger, graded by the pure rule.
const samples: number[] = [];
let card;
for (let i = 0; i < 25; i++) {
  const began = performance.now();
  const facts = await readinessFacts(ledger, { capability: 'po-assist', region: 'NA', template, to: Date.now(), now: Date.now(), gapThresholds: { maxCellsPerPerson: 6, maxOpenPerOwner: 25 } });
  card = scorecard(facts, template.cutover);
  samples.push(performance.now() - began);
}
const p = percentiles(samples.slice(5));

// 4. Decision triggers (issue 19): every trigger of 10 rolled-out regions graded from the ledger, with the
// evidence links of those that fired (what the schedule does before it starts workflows). Two figures:
// the 10 regions as seeded (the volume in NA), and NA graded 10 times over, as if every region held it.
const tenRegions = ['NA', 'EMEA', 'APAC', 'LATAM', 'UK-IE', 'ANZ', 'MEA', 'CN', 'JP', 'IN'];
for (const region of tenRegions.slice(2)) await saveRollout(ledger, { capabilityId: 'po-assist', region, overlay: {}, effective: template, templateVersion: template.version, updatedAt: at, updatedBy: 'bench' });
const triggerSamples: number[] = [];
const fullSamples: number[] = [];
let firedCount = 0;
for (let i = 0; i < 7; i++) {
  let began = performance.now();
  const all = await firedEverywhere(ledger, Date.now(), { capability: 'po-assist' });
  triggerSamples.push(performance.now() - began);
  firedCount = all.fired.length;
  began = performance.now();
  for (let r = 0; r < tenRegions.length; r++) await firedInRegion(ledger, 'po-assist', 'NA', template, Date.now());
  fullSamples.push(performance.now() - began);
}
const tp = percentiles(triggerSamples.slice(2));
const fp = percentiles(fullSamples.slice(2));

const result = {
  decisions,
  exceptions,
  quarantined,
  ingest: { eventsPerSecond: round(decisions / (ingestMs / 1000), 0), batch },
  ...(httpEvents > 0 ? { endpoint: { events: httpEvents, eventsPerSecond: round(httpEvents / (httpMs / 1000), 0), batch } } : {}),
  scorecardMs: { p50: round(p.p50), p95: round(p.p95), max: round(p.max) },
  measured: Object.fromEntries(card!.criteria.map((c) => [c.id, c.measured])),
  decisionTriggers: {
    regions: tenRegions.length,
    triggersPerRegion: Object.keys(template.decisionTriggers ?? {}).length,
    fired: firedCount,
    tenRegionsMs: { p50: round(tp.p50), max: round(tp.max) },
    tenRegionsEachWithTheVolumeMs: { p50: round(fp.p50), max: round(fp.max) },
  },
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
await ledger.destroy();
rmSync(dir, { recursive: true, force: true });
