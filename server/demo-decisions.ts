import { evaluateAndRaise } from '../activities/decisions.js';
import { actorOf, raiseException, transition, type ExceptionDeps } from '../api/services/exceptions.js';
import type { Principal } from '../domain/principal.js';
import * as msg from '../workflows/exception/messages.js';
import { priceVarianceIntake } from './demo-exceptions.js';

/**
 * What the demo's triggers (templates/po-assist.yaml decisionTriggers) fire on, one per area, raised and
 * worked through the same services as the API: three NA price variances accepted at the supplier's
 * price (business rules), three overrides by one NA buyer (adoption), three stale EMEA inventory
 * snapshots refreshed by hand (the queue), and po-rec-2.4.0 reaching EMEA (retraining). Then the
 * triggers are graded once, as the daily schedule would: one open decision per area.
 */
export async function seedDemoDecisions(deps: ExceptionDeps): Promise<string[]> {
  const erp: Principal = { sub: 'erp', roles: ['integration'] };
  const now = new Date();
  const day = now.toISOString().slice(0, 10);
  const worked = async (body: object, operator: Principal, code: string) => {
    const { state } = await raiseException(deps, erp, body);
    if (state.status !== 'open') return;
    await transition(deps, operator, state.id, msg.claimException, { actor: actorOf(operator) });
    await transition(deps, operator, state.id, msg.resolveException, { actor: actorOf(operator), code });
  };
  const li: Principal = { sub: 'li', roles: ['operator'] };
  const tomas: Principal = { sub: 'tomas', roles: ['operator'] };
  for (const [i, sku] of ['BRK-2210', 'VLV-0931', 'GSK-1150'].entries()) {
    await worked({ ...priceVarianceIntake('po-assist', 'NA', `DEMO-PO-0042210${i}-price`), title: `Unit price 9% above contract for SKU ${sku}` }, li, 'accepted-supplier-price');
  }
  for (let i = 0; i < 3; i++) {
    await worked(
      {
        capability: 'po-assist',
        region: 'EMEA',
        type: 'stale-input',
        sourceKey: `DEMO-PO-0043100${i}-inventory`,
        title: `Inventory snapshot 2 days old for SKU FLT-778${i}`,
        confidence: 0.5,
        payload: { poNumber: `PO-0043100${i}`, sku: `FLT-778${i}`, supplierId: 'SUP-0042', staleField: 'inventory-snapshot', dataAsOf: day, freshnessLimit: '24h', modelVersion: 'po-rec-2.3.1' },
      },
      tomas,
      'snapshot-refreshed-by-hand',
    );
  }
  for (let i = 0; i < 3; i++) {
    await raiseException(deps, erp, {
      capability: 'po-assist',
      region: 'NA',
      type: 'recommendation-overridden-repeatedly',
      sourceKey: `DEMO-OVERRIDE-kwame-${i}`,
      title: `Kwame overrode the BRK-2210 recommendation again (${4 + i} times this week)`,
      payload: { buyerId: 'kwame.osei', sku: 'BRK-2210', overrideCount: 4 + i, windowDays: 7, lastOverrideAt: now.toISOString(), lastOverrideReason: 'supplier lead time wrong', modelVersion: 'po-rec-2.3.1' },
    });
  }
  await raiseException(deps, erp, {
    capability: 'po-assist',
    region: 'EMEA',
    type: 'low-confidence-recommendation',
    sourceKey: 'DEMO-PO-00431500-confidence',
    title: 'Low confidence (0.41) from po-rec-2.4.0 to switch supplier on PO-00431500',
    confidence: 0.41,
    sourceRefs: [{ system: 'po-rec', record: 'REC-99400', field: 'confidence', value: 0.41 }],
    payload: { poNumber: 'PO-00431500', supplierId: 'SUP-0107', sku: 'VLV-0931', quantity: 60, unitPrice: 23.1, currency: 'EUR', needByDate: day, recommendedAction: 'switch-supplier', modelVersion: 'po-rec-2.4.0', confidence: 0.41, recommendedAt: now.toISOString() },
  });
  const { raised } = await evaluateAndRaise(deps, deps.taskQueue, { capability: 'po-assist' });
  return raised;
}
