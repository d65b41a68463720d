/** A valid po-assist price-variance intake: the demo's first exception, and the one fixture for tests, the benchmark and history recording (scripts/fixtures.ts). */
export function priceVarianceIntake(capability: string, region: string, sourceKey: string) {
  return {
    capability,
    region,
    type: 'price-variance',
    sourceKey,
    title: 'Unit price 12% above contract for SKU BRK-2210',
    confidence: 0.42,
    sourceRefs: [{ system: 'erp', record: 'PO-00123456', field: 'unitPrice', value: 11.2 }],
    qualityChecks: [{ name: 'price-outlier', passed: false, detail: '12% above contract' }],
    payload: {
      poNumber: 'PO-00123456',
      supplierId: 'SUP-0042',
      sku: 'BRK-2210',
      quantity: 400,
      unitPrice: 11.2,
      currency: 'USD',
      contractPrice: 10.0,
      variancePct: 12,
      recommendedAction: 'switch-supplier',
      modelVersion: 'po-rec-2.3.1',
      priceCheckedAt: new Date().toISOString(),
    } as Record<string, unknown>,
  };
}


const modelVersion = 'po-rec-2.3.1';

/** Open work for the demo queue: every area, both regions, a spread of severities. Source keys make re-seeding idempotent. */
export function demoIntakes(now = new Date()) {
  const recent = now.toISOString();
  const day = now.toISOString().slice(0, 10);
  return [
    { ...priceVarianceIntake('po-assist', 'NA', 'DEMO-PO-00412001-price'), title: 'Unit price 12% above contract for SKU BRK-2210' },
    {
      ...priceVarianceIntake('po-assist', 'EMEA', 'DEMO-PO-00412077-price'),
      title: 'Unit price 18% above contract for SKU VLV-0931',
      severity: 'critical',
      confidence: 0.31,
      sourceRefs: [
        { system: 'erp', record: 'PO-00412077', field: 'unitPrice', value: 23.6 },
        { system: 'contracts', record: 'CTR-8812', field: 'contractPrice', value: 20 },
      ],
      qualityChecks: [
        { name: 'price-outlier', passed: false, detail: '18% above contract' },
        { name: 'currency-consistent', passed: true },
      ],
      payload: { poNumber: 'PO-00412077', supplierId: 'SUP-0107', sku: 'VLV-0931', quantity: 120, unitPrice: 23.6, currency: 'EUR', contractPrice: 20, variancePct: 18, recommendedAction: 'switch-supplier', modelVersion, priceCheckedAt: recent },
    },
    {
      capability: 'po-assist',
      region: 'NA',
      type: 'missing-input-field',
      sourceKey: 'DEMO-PO-00412345-needby',
      title: 'Need-by date missing on PO-00412345',
      confidence: 0.3,
      sourceRefs: [{ system: 'erp', record: 'PO-00412345', field: 'needByDate', value: null }],
      qualityChecks: [{ name: 'required-fields', passed: false, detail: 'needByDate is empty' }],
      payload: { poNumber: 'PO-00412345', missingField: 'needByDate', sourceSystem: 'erp', modelVersion },
    },
    {
      capability: 'po-assist',
      region: 'EMEA',
      type: 'stale-input',
      sourceKey: 'DEMO-PO-00412502-inventory',
      title: 'Inventory snapshot 3 days old for SKU FLT-7781',
      confidence: 0.55,
      sourceRefs: [{ system: 'wms', record: 'SNAP-DE-01', field: 'asOf', value: day }],
      qualityChecks: [{ name: 'freshness', passed: false, detail: 'older than 24h' }],
      payload: { poNumber: 'PO-00412502', sku: 'FLT-7781', supplierId: 'SUP-0042', staleField: 'inventory-snapshot', dataAsOf: day, freshnessLimit: '24h', modelVersion },
    },
    {
      capability: 'po-assist',
      region: 'NA',
      type: 'low-confidence-recommendation',
      sourceKey: 'DEMO-PO-00412610-confidence',
      title: 'Low confidence (0.48) to expedite PO-00412610',
      confidence: 0.48,
      sourceRefs: [{ system: 'po-rec', record: 'REC-99120', field: 'confidence', value: 0.48 }],
      qualityChecks: [{ name: 'confidence-threshold', passed: false, detail: 'below 0.8' }, { name: 'supplier-approved', passed: true }],
      payload: { poNumber: 'PO-00412610', supplierId: 'SUP-0042', sku: 'BRK-2210', quantity: 250, unitPrice: 10.1, currency: 'USD', needByDate: day, recommendedAction: 'expedite', modelVersion, confidence: 0.48, recommendedAt: recent },
    },
    {
      capability: 'po-assist',
      region: 'NA',
      type: 'quality-check-failed',
      sourceKey: 'DEMO-PO-00412733-moq',
      title: 'Quantity below supplier MOQ on PO-00412733',
      confidence: 0.62,
      sourceRefs: [{ system: 'erp', record: 'PO-00412733', field: 'quantity', value: 40 }, { system: 'mdm', record: 'SUP-0213', field: 'minimumOrderQty', value: 100 }],
      qualityChecks: [{ name: 'moq-violation', passed: false, detail: '40 ordered, MOQ 100' }],
      payload: { poNumber: 'PO-00412733', sku: 'GSK-1150', supplierId: 'SUP-0213', quantity: 40, unitPrice: 3.4, currency: 'USD', recommendedAction: 'increase-quantity', checkName: 'moq-violation', blocking: true, modelVersion },
    },
  ];
}
