import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { putRollout, putTemplate } from '../../api/services/catalog.js';
import { adoptVersion, previewAdoption, versionHistory } from '../../api/services/template-versions.js';
import { listAudit } from '../../ledger/audit.js';
import { getRollout } from '../../ledger/catalog.js';
import type { LedgerDb } from '../../ledger/db.js';
import { getRehearsal } from '../../ledger/template-versions.js';
import { eachLedger, openTestLedger } from '../ledgers.js';

/** Versions, adoption, the impact dry-run and stored rehearsals, on each ledger (no Temporal: all of it is the ledger's). */
eachLedger('template versions in the ledger', (kind) => {
  let db: LedgerDb;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestLedger(kind));
  });
  afterAll(async () => close?.());

  it('publishes without moving regions, previews with exact counts, adopts with an audit entry and stores each rehearsal', async () => {
    const shipped = YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, any>;
    await putTemplate(db, { id: 'po-assist', source: { ...shipped, version: 1 }, format: 'object', actor: 'root', origin: 'test' });
    await putRollout(db, { capabilityId: 'po-assist', region: 'NA', overlay: {}, actor: 'root' });
    const at = new Date().toISOString();
    await db.insertInto('people').values(['priya', 'li', 'jordan', 'dana', 'grace'].map((id) => ({ id, name: id, email: `${id}@example.com`, manager_id: id === 'grace' ? null : 'grace', status: 'active', roles: '[]', version: 1, updated_at: at, updated_by: 'root' }))).execute();
    await db.insertInto('ownership_cells').values([
      { capability: 'po-assist', region: 'NA', area: 'exception-queue', owner: 'priya', backup: 'li', escalation: '["dana","grace"]', version: 1 },
      { capability: 'po-assist', region: 'NA', area: 'business-rules', owner: 'jordan', backup: 'dana', escalation: '["dana","grace"]', version: 2 },
    ]).execute();
    const now = Date.now();
    const v1 = (await getRollout(db, 'po-assist', 'NA'))!.effective;
    const row = (i: number, status: string, sourceSystem: string) => ({
      id: `exception:po-assist:L-${i}`, capability: 'po-assist', region: 'NA', type: 'missing-input-field', area: 'exception-queue', severity: 'high', title: 't', status,
      owner: 'priya', claimant: null, escalation_level: 0, confidence: null, claim_by: now, resolve_by: now, overdue_at: null, lease_until: null, snoozed_until: null,
      created_at: now, updated_at: now, closed_at: null, resolution_code: null, value_event: null, seq: 1,
      state: JSON.stringify({ policy: v1.slaPolicies.high }), payload: JSON.stringify({ poNumber: 'PO-123456', missingField: 'sku', sourceSystem, modelVersion: 'm' }), template_version: 1,
    });
    await db.insertInto('exceptions').values([row(1, 'open', 'erp'), row(2, 'claimed', 'manual'), row(3, 'resolved', 'manual')]).execute();

    const v2: Record<string, any> = { ...shipped, version: 2 };
    v2.exceptionTypes.find((t: any) => t.id === 'missing-input-field').area = 'business-rules';
    v2.exceptionTypes.find((t: any) => t.id === 'missing-input-field').contract.fields.sourceSystem.values = ['erp'];
    v2.slaPolicies.high.claimWithin = '30m';
    await putTemplate(db, { id: 'po-assist', source: v2, format: 'object', actor: 'root', origin: 'test' });

    const history = await versionHistory(db, 'po-assist', () => true);
    expect(history).toMatchObject({ latest: 2, regions: [{ region: 'NA', templateVersion: 1, behind: 1 }] });
    expect(history.versions.map((v) => v.version)).toEqual([2, 1]);
    expect((await getRehearsal(db, 'po-assist', 'NA'))).toMatchObject({ templateVersion: 1, trigger: 'overlay' });
    expect((await getRehearsal(db, 'po-assist', 'NA', 2))).toMatchObject({ templateVersion: 2, trigger: 'published' });

    const preview = await previewAdoption(db, 'po-assist', 'NA', 2);
    // Both open ones move to jordan; only the unclaimed one has a claim deadline to change; the claimed one's source is no longer allowed.
    expect(preview.impact).toMatchObject({ open: 2, changeOwner: 2, changeDeadline: 1, failContract: 1, affected: 2 });

    const adopted = await adoptVersion(db, { capabilityId: 'po-assist', region: 'NA', version: 2, actor: 'grace', reason: 'monthly release' });
    expect(adopted).toMatchObject({ from: 1, changed: true, rollout: { templateVersion: 2 } });
    expect((await getRollout(db, 'po-assist', 'NA'))!.effective.slaPolicies.high.claimWithin).toBe('30m');
    expect((await getRehearsal(db, 'po-assist', 'NA'))).toMatchObject({ templateVersion: 2, trigger: 'adopted' });
    const audit = await listAudit(db, { subjectType: 'capability-region', subjectId: 'po-assist/NA', limit: 5 });
    expect(audit.rows[0]).toMatchObject({ actor: 'grace', action: 'template.adopted', reason: 'monthly release', detail: { from: 1, to: 2 } });
  });
});
