import { readFileSync } from 'node:fs';

/** The HTTP client the scenario needs: the API's URL and a way to mint tokens. */
export interface ScenarioApi {
  url: string;
  token(sub: string, ...roles: string[]): Promise<string>;
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(api: ScenarioApi, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function must(api: ScenarioApi, token: string, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await call(api, token, method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export const pilotTeam = ['priya', 'marco', 'jordan', 'sofia'];
const people: Array<[string, string, string | null, string[]]> = [
  ['grace', 'Grace Kim (Director, Order Management)', null, ['manager']],
  ['raj', 'Raj Patel (Head of Data Science)', 'grace', ['manager']],
  ['priya', 'Priya Raman (pilot lead)', 'raj', ['owner', 'operator']],
  ['marco', 'Marco Bianchi (pilot data scientist)', 'raj', ['owner']],
  ['jordan', 'Jordan Lee (pilot business analyst)', 'raj', ['owner']],
  ['sofia', 'Sofia Alvarez (pilot product owner)', 'raj', ['owner']],
  ['dana', 'Dana Whitfield (NA order management lead)', 'grace', ['owner', 'operator']],
  ['li', 'Li Wei (NA operations analyst)', 'dana', ['owner', 'operator']],
  ['amara', 'Amara Okafor (MLOps engineer)', 'raj', ['owner']],
  ['hannah', 'Hannah Schulz (run-team analyst)', 'dana', ['owner']],
  ['tomas', 'Tomás Novak (run-team analyst)', 'dana', ['owner']],
  ['olivia', 'Olivia Park (buyer)', 'dana', ['operator']],
];

/** Today: the pilot team owns every area; the run team are the backups. Sofia has no backup. */
const handOver = {
  'business-rules': { owner: 'jordan', backup: 'dana', escalation: ['grace', 'raj'] },
  'model-retraining': { owner: 'marco', backup: 'amara', escalation: ['priya', 'raj'] },
  'exception-queue': { owner: 'priya', backup: 'li', escalation: ['dana', 'grace'] },
  'adoption-training': { owner: 'sofia', backup: null, escalation: ['grace', 'raj'] },
};

/** What the managers do once the audit shows the gaps. */
const fill = {
  'business-rules': { owner: 'dana', backup: 'tomas', escalation: ['grace', 'raj'] },
  'model-retraining': { owner: 'amara', backup: 'hannah', escalation: ['raj', 'grace'] },
  // Not dana first: she is li's backup and manager already, and a chain that reaches her at every step is no chain (chain lint).
  'exception-queue': { owner: 'li', backup: 'dana', escalation: ['grace', 'dana'] },
  'adoption-training': { owner: 'hannah', backup: 'tomas', escalation: ['grace', 'raj'] },
};

const now = () => new Date().toISOString();
const base = { poNumber: 'PO-00480021', sku: 'BRK-2210', modelVersion: 'po-rec-2.3.1' };
/** One intake per area, so 200 exceptions spread 50 to each owner. */
const intakes: Array<{ type: string; area: string; payload: () => Record<string, unknown> }> = [
  {
    type: 'price-variance',
    area: 'business-rules',
    payload: () => ({ ...base, supplierId: 'SUP-0042', quantity: 400, unitPrice: 11.2, currency: 'USD', contractPrice: 10, variancePct: 12, recommendedAction: 'switch-supplier', priceCheckedAt: now() }),
  },
  {
    type: 'low-confidence-recommendation',
    area: 'model-retraining',
    payload: () => ({ ...base, supplierId: 'SUP-0042', quantity: 120, unitPrice: 9.5, currency: 'USD', needByDate: '2026-12-15', recommendedAction: 'increase-quantity', confidence: 0.41, recommendedAt: now() }),
  },
  { type: 'missing-input-field', area: 'exception-queue', payload: () => ({ poNumber: base.poNumber, missingField: 'needByDate', sourceSystem: 'erp', modelVersion: base.modelVersion }) },
  {
    type: 'recommendation-overridden-repeatedly',
    area: 'adoption-training',
    payload: () => ({ buyerId: 'buyer-17', sku: base.sku, overrideCount: 6, windowDays: 14, lastOverrideAt: now(), modelVersion: base.modelVersion }),
  },
];

export interface ScenarioSummary {
  raised: number;
  claimedByPilot: number;
  claimedByOperators: number;
  sweeps: Array<{ person: string; moves: number; claimsReleased: number; matrixChanges: number; gaps: number }>;
  gapsAfterDeparture: Record<string, number>;
  gapFindingsAfterDeparture: Json[];
  gapsAfterFill: number;
  final: { total: number; byStatus: Record<string, number>; ownedByDeparted: number; unowned: number; escalationUnreachable: number; ownersByArea: Record<string, Record<string, number>> };
}

/** po-assist in NA: 200 exceptions, operators claim some, the pilot team leaves, managers fill the gaps. */
export async function runPilotLeaves(api: ScenarioApi, log: (line: string) => void = () => undefined, count = 200): Promise<ScenarioSummary> {
  const admin = await api.token('root', 'admin');
  const manager = await api.token('grace', 'manager');
  const erp = await api.token('erp', 'integration');

  log('1. po-assist runs in NA; the pilot team owns all four areas, the run team are the backups.');
  const template = readFileSync(new URL('../../templates/po-assist.yaml', import.meta.url), 'utf8');
  const put = await fetch(`${api.url}/api/v1/capabilities/po-assist`, { method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/yaml' }, body: template });
  if (put.status >= 300) throw new Error(`template: ${put.status} ${await put.text()}`);
  await must(api, admin, 'PUT', '/api/v1/capabilities/po-assist/regions/NA', { timeZone: 'America/Chicago' });
  for (const [id, name, managerId, roles] of people) {
    await must(api, admin, 'PUT', `/api/v1/people/${id}`, { name, email: `${id}@example.com`, managerId, roles });
  }
  for (const [area, cell] of Object.entries(handOver)) {
    await must(api, manager, 'PUT', `/api/v1/capabilities/po-assist/ownership/NA/${area}`, { ...cell, reason: 'pilot launch' });
  }

  log(`2. ${count} exceptions surface; operators claim some of them.`);
  const stamp = Date.now().toString(36);
  const items = Array.from({ length: count }, (_, i) => {
    const kind = intakes[i % intakes.length]!;
    return { capability: 'po-assist', region: 'NA', type: kind.type, sourceKey: `pilot-${stamp}-${i}`, title: `${kind.type} #${i}`, confidence: 0.4, payload: kind.payload() };
  });
  const batch = await must(api, erp, 'POST', '/api/v1/exceptions:batch', { items });
  if (batch.created !== count) throw new Error(`expected ${count} created, got ${JSON.stringify(batch).slice(0, 500)}`);
  const ids: Array<{ id: string; area: string }> = batch.results.map((r: Json, i: number) => ({ id: r.id, area: intakes[i % intakes.length]!.area }));
  const priya = await api.token('priya', 'owner', 'operator');
  const olivia = await api.token('olivia', 'operator');
  const pilotClaims = ids.filter((e) => e.area === 'business-rules').slice(0, 10);
  const operatorClaims = ids.filter((e) => e.area === 'model-retraining').slice(0, 20);
  for (const e of pilotClaims) await must(api, priya, 'POST', `/api/v1/exceptions/${encodeURIComponent(e.id)}/claim`, {});
  for (const e of operatorClaims) await must(api, olivia, 'POST', `/api/v1/exceptions/${encodeURIComponent(e.id)}/claim`, {});
  log(`   priya (pilot) claimed ${pilotClaims.length}, olivia (operator) claimed ${operatorClaims.length}.`);

  log('3. The pilot team departs; each departure runs a sweep.');
  const sweeps: ScenarioSummary['sweeps'] = [];
  for (const person of pilotTeam) {
    const sweep = await must(api, manager, 'POST', `/api/v1/people/${person}/departure`, { reason: `departure of ${person}: pilot team moved on` });
    const r = sweep.result;
    sweeps.push({ person, moves: r.moves.length, claimsReleased: r.moves.filter((m: Json) => m.claimReleased).length, matrixChanges: r.matrixChanges.length, gaps: r.gaps.length });
    log(`   ${person}: ${r.matrixChanges.length} matrix changes, ${r.moves.length} exceptions moved (${sweeps.at(-1)!.claimsReleased} claims released), ${r.gaps.length} gaps left`);
  }

  log('4. The gap audit lists the gaps the data implies.');
  const audit = await must(api, manager, 'GET', '/api/v1/audit/ownership-gaps?capability=po-assist');
  for (const f of audit.items) log(`   ${f.kind.padEnd(22)} ${[f.region, f.area].filter(Boolean).join('/')}: ${f.detail}`);

  log('5. Managers fill the gaps.');
  for (const [area, cell] of Object.entries(fill)) {
    await must(api, manager, 'PUT', `/api/v1/capabilities/po-assist/ownership/NA/${area}`, { ...cell, reason: 'run team takes over after the pilot' });
  }
  const after = await pollUntil(
    () => must(api, manager, 'GET', '/api/v1/audit/ownership-gaps?capability=po-assist'),
    (a) => a.items.length === 0,
  );
  log(`   the audit now lists ${after.items.length} gaps.`);

  log('6. Every exception is accounted for.');
  const final = await pollUntil(() => accountFor(api, admin, ids.map((e) => e.id)), (f) => f.unowned === 0 && f.ownedByDeparted === 0);
  return {
    raised: batch.created,
    claimedByPilot: pilotClaims.length,
    claimedByOperators: operatorClaims.length,
    sweeps,
    gapsAfterDeparture: audit.counts,
    gapFindingsAfterDeparture: audit.items,
    gapsAfterFill: after.items.length,
    final,
  };
}

async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function accountFor(api: ScenarioApi, admin: string, ids: string[]): Promise<ScenarioSummary['final']> {
  const directory = await must(api, admin, 'GET', '/api/v1/people?limit=500');
  const status = new Map<string, string>(directory.items.map((p: Json) => [p.id, p.status]));
  const byStatus: Record<string, number> = {};
  const ownersByArea: Record<string, Record<string, number>> = {};
  let ownedByDeparted = 0;
  let unowned = 0;
  let escalationUnreachable = 0;
  for (const id of ids) {
    const e = await must(api, admin, 'GET', `/api/v1/exceptions/${encodeURIComponent(id)}`);
    byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
    const owner = e.owner ?? '(unowned)';
    ownersByArea[e.area] ??= {};
    ownersByArea[e.area]![owner] = (ownersByArea[e.area]![owner] ?? 0) + 1;
    if (e.owner === null) unowned += 1;
    else if (status.get(e.owner) !== 'active') ownedByDeparted += 1;
    if (e.claimant && status.get(e.claimant) !== 'active') ownedByDeparted += 1;
    const last = e.escalations.at(-1);
    if (last && (!last.target || status.get(last.target) !== 'active')) escalationUnreachable += 1;
  }
  return { total: ids.length, byStatus, ownedByDeparted, unowned, escalationUnreachable, ownersByArea };
}
