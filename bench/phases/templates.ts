import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { putRollout, putTemplate } from '../../api/services/catalog.js';
import { previewAdoption } from '../../api/services/template-versions.js';
import { rehearseRegion } from '../../api/services/rehearsals.js';
import { getRollout } from '../../ledger/catalog.js';
import { migrateLedger, openLedger, type LedgerDb } from '../../ledger/db.js';
import { percentiles, round } from '../stats.js';

// ---------------------------------------------------------------------------------------------
// 9: template versions (issue 17): a rehearsal of the shipped scenarios in one region, and the
// preview of a new version (diff, impact dry-run, rehearsal) over `open` open exceptions. Both read
// and write only the ledger, so the phase runs on a ledger of its own (no Temporal).

export interface TemplatePhaseResult {
  open: number;
  scenarios: number;
  rehearsalMs: { p50: number; p95: number; max: number; runs: number };
  previewMs: { p50: number; p95: number; max: number; runs: number };
  impact: { open: number; changeOwner: number; changeDeadline: number; failContract: number; affected: number };
  /** Against the budgets: rehearsal under 1 s, impact dry-run under 5 s (p95 ÷ budget). */
  ratios: { rehearsal: number; preview: number };
}

const CAPABILITY = 'po-assist';
const cells = {
  'business-rules': { owner: 'jordan', backup: 'dana', escalation: ['dana', 'grace'] },
  'model-retraining': { owner: 'amara', backup: 'raj', escalation: ['raj', 'grace'] },
  'exception-queue': { owner: 'priya', backup: 'li', escalation: ['dana', 'grace'] },
  'adoption-training': { owner: 'dana', backup: 'li', escalation: ['grace', 'raj'] },
};
const managers: Record<string, string | null> = { grace: null, raj: 'grace', jordan: 'raj', amara: 'raj', priya: 'raj', dana: 'grace', li: 'dana' };

async function seed(ledger: LedgerDb, open: number): Promise<void> {
  const shipped = YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, any>;
  await putTemplate(ledger, { id: CAPABILITY, source: { ...shipped, version: 1 }, format: 'object', actor: 'bench', origin: 'bench' });
  await putRollout(ledger, { capabilityId: CAPABILITY, region: 'NA', overlay: {}, actor: 'bench' });
  const at = new Date().toISOString();
  await ledger.insertInto('people').values(Object.entries(managers).map(([id, manager]) => ({ id, name: id, email: `${id}@example.com`, manager_id: manager, status: 'active', roles: '[]', version: 1, updated_at: at, updated_by: 'bench' }))).execute();
  await ledger.insertInto('ownership_cells').values(Object.entries(cells).map(([area, c]) => ({ capability: CAPABILITY, region: 'NA', area, owner: c.owner, backup: c.backup, escalation: JSON.stringify(c.escalation), version: 1 }))).execute();
  const template = (await getRollout(ledger, CAPABILITY, 'NA'))!.effective;
  const types = template.exceptionTypes.filter((t) => t.id === 'missing-input-field' || t.id === 'price-variance');
  const now = Date.now();
  for (let start = 0; start < open; start += 500) {
    const rows = Array.from({ length: Math.min(500, open - start) }, (_, j) => {
      const i = start + j;
      const type = types[i % 2]!;
      const severity = (['high', 'medium'] as const)[i % 3 === 0 ? 1 : 0];
      const created = now - (i % 1000) * 60_000;
      const payload = type.id === 'missing-input-field'
        ? { poNumber: `PO-${String(100000 + i)}`, missingField: 'needByDate', sourceSystem: i % 7 === 0 ? 'manual' : 'erp', modelVersion: 'm' }
        : { poNumber: `PO-${String(100000 + i)}`, supplierId: 'SUP-1003', sku: 'BOLT-M8', quantity: 5, unitPrice: 0.4, currency: 'EUR', contractPrice: 0.35, variancePct: 14, priceCheckedAt: new Date(created - 3_600_000).toISOString(), recommendedAction: 'defer', modelVersion: 'm' };
      const state = { policy: template.slaPolicies[severity] };
      return {
        id: `exception:${CAPABILITY}:TPL-${i}`, capability: CAPABILITY, region: 'NA', type: type.id, area: type.area, severity, title: 'bench', status: i % 5 === 0 ? 'claimed' : 'open',
        owner: cells[type.area].owner, claimant: null, escalation_level: 0, confidence: 0.5, claim_by: created + 3_600_000, resolve_by: created + 86_400_000, overdue_at: null,
        lease_until: null, snoozed_until: null, created_at: created, updated_at: created, closed_at: null, resolution_code: null, value_event: null, seq: 1, state: JSON.stringify(state), payload: JSON.stringify(payload), template_version: 1,
      };
    });
    await ledger.insertInto('exceptions').values(rows).execute();
  }
  // Version 2: missing-input-field moves to business-rules, the high claim window halves, 'manual' is no longer a source.
  const v2: Record<string, any> = { ...shipped, version: 2 };
  const missing = v2.exceptionTypes.find((t: any) => t.id === 'missing-input-field');
  missing.area = 'business-rules';
  missing.contract.fields.sourceSystem.values = ['erp', 'supplier-portal', 'edi', 'mdm'];
  v2.slaPolicies.high.claimWithin = '30m';
  await putTemplate(ledger, { id: CAPABILITY, source: v2, format: 'object', actor: 'bench', origin: 'bench' });
}

export async function templatePhase(options: { open: number; runs: number }): Promise<TemplatePhaseResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'templates-bench-'));
  const ledger = openLedger({ file: path.join(dir, 'ledger.sqlite') });
  try {
    await migrateLedger(ledger);
    await seed(ledger, options.open);
    const effective = (await getRollout(ledger, CAPABILITY, 'NA'))!.effective;
    const rehearsal: number[] = [];
    let scenarios = 0;
    for (let i = 0; i < options.runs + 3; i++) {
      const began = performance.now();
      const run = await rehearseRegion(ledger, effective, 'NA', 'bench');
      if (i >= 3) rehearsal.push(performance.now() - began);
      if (run.failed > 0) throw new Error(`a shipped scenario failed in the bench's NA: ${JSON.stringify(run.results.find((r) => !r.pass))}`);
      scenarios = run.total;
    }
    const preview: number[] = [];
    let impact: TemplatePhaseResult['impact'] | undefined;
    for (let i = 0; i < Math.max(3, Math.ceil(options.runs / 5)) + 1; i++) {
      const began = performance.now();
      const result = await previewAdoption(ledger, CAPABILITY, 'NA', 2);
      if (i >= 1) preview.push(performance.now() - began);
      const { samples: _samples, ...counts } = result.impact!;
      impact = counts;
    }
    const r = percentiles(rehearsal);
    const p = percentiles(preview);
    return {
      open: options.open,
      scenarios,
      rehearsalMs: { p50: round(r.p50), p95: round(r.p95), max: round(r.max), runs: rehearsal.length },
      previewMs: { p50: round(p.p50), p95: round(p.p95), max: round(p.max), runs: preview.length },
      impact: impact!,
      ratios: { rehearsal: round(r.p95 / 1000, 3), preview: round(p.p95 / 5000, 3) },
    };
  } finally {
    await ledger.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
