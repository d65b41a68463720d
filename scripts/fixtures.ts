/** A valid po-assist price-variance intake: one fixture for tests, the benchmark and history recording. */
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
