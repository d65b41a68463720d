import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTemplate, type ExceptionType, type FieldSpec } from '../../domain/capability.js';
import { checkPayload } from '../../domain/contract.js';

const source = readFileSync(new URL('../../templates/po-assist.yaml', import.meta.url), 'utf8');
const now = new Date('2025-06-02T12:00:00Z');

function typeOf(id: string): ExceptionType {
  const result = parseTemplate(source, 'yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  const type = result.template.exceptionTypes.find((candidate) => candidate.id === id);
  if (!type) throw new Error(`no exception type ${id}`);
  return type;
}

const priceVariance = {
  poNumber: 'PO-00451877',
  supplierId: 'SUP-20931',
  sku: 'BRK-PAD-4411',
  quantity: 240,
  unitPrice: 18.75,
  currency: 'EUR',
  contractPrice: 16.5,
  variancePct: 13.64,
  priceCheckedAt: '2025-06-01T09:00:00Z',
  recommendedAction: 'switch-supplier',
  modelVersion: 'po-rec-2025.05.3',
};

describe('payload contracts', () => {
  it('accepts a good PO payload, including fields the contract does not name', () => {
    expect(checkPayload(typeOf('price-variance'), undefined, { ...priceVariance, buyerEmail: 'a@b.example', lines: [1, 2] }, now)).toEqual([]);
  });

  it('reports every violation at once, each with its field path', () => {
    const payload = {
      supplierId: 'SUP-20931',
      sku: 'brk pad',
      quantity: 2.5,
      unitPrice: -3,
      currency: 'AUD',
      contractPrice: '16.50',
      variancePct: 13.64,
      varianceTolerancePct: 150,
      priceCheckedAt: '2025-05-25',
      recommendedAction: 'buy',
      modelVersion: 'x'.repeat(70),
    };
    expect(checkPayload(typeOf('price-variance'), undefined, payload, now)).toEqual([
      { path: 'payload.poNumber', message: 'required field is missing' },
      { path: 'payload.sku', message: "'brk pad' does not match ^[A-Z0-9][A-Z0-9-]{2,31}$" },
      { path: 'payload.quantity', message: 'expected an integer, got number 2.5' },
      { path: 'payload.unitPrice', message: 'is -3; must be at least 0' },
      { path: 'payload.currency', message: "'AUD' is not one of USD, EUR, GBP, CAD, MXN, JPY" },
      { path: 'payload.contractPrice', message: "expected a number, got '16.50'" },
      { path: 'payload.varianceTolerancePct', message: 'is 150; must be at most 100' },
      { path: 'payload.priceCheckedAt', message: 'is stale: 8d12h old; must be at most 3d old' },
      {
        path: 'payload.recommendedAction',
        message: "'buy' is not one of place-order, increase-quantity, reduce-quantity, switch-supplier, expedite, defer, cancel",
      },
      { path: 'payload.modelVersion', message: 'is 70 characters long; at most 64 allowed' },
    ]);
  });

  it('treats null as a missing value', () => {
    const errors = checkPayload(typeOf('price-variance'), undefined, { ...priceVariance, poNumber: null, varianceTolerancePct: null }, now);
    expect(errors).toEqual([{ path: 'payload.poNumber', message: 'required field is missing' }]);
  });

  it('checks booleans', () => {
    const payload = {
      poNumber: 'PO-00451877',
      sku: 'BRK-PAD-4411',
      supplierId: 'SUP-20931',
      quantity: 240,
      unitPrice: 18.75,
      currency: 'USD',
      recommendedAction: 'place-order',
      checkName: 'duplicate-po',
      blocking: 'yes',
      modelVersion: 'po-rec-2025.05.3',
    };
    expect(checkPayload(typeOf('quality-check-failed'), undefined, payload, now)).toEqual([
      { path: 'payload.blocking', message: "expected true or false, got 'yes'" },
    ]);
  });

  it('rejects a payload that is not an object', () => {
    for (const payload of [null, 'PO-00451877', [priceVariance]]) {
      expect(checkPayload(typeOf('price-variance'), undefined, payload, now)).toEqual([
        { path: 'payload', message: expect.stringContaining('payload must be an object') },
      ]);
    }
  });
});

describe('dates and freshness', () => {
  const recommendation = {
    poNumber: 'PO-00451877',
    supplierId: 'SUP-20931',
    sku: 'BRK-PAD-4411',
    quantity: 240,
    unitPrice: 18.75,
    currency: 'EUR',
    needByDate: '2025-06-20',
    recommendedAction: 'place-order',
    modelVersion: 'po-rec-2025.05.3',
    confidence: 0.62,
    recommendedAt: '2025-06-02T10:00:00Z',
  };

  it('accepts fresh data', () => {
    expect(checkPayload(typeOf('low-confidence-recommendation'), undefined, { ...recommendation, recommendedAt: '2025-05-27' }, now)).toEqual([]);
    expect(checkPayload(typeOf('price-variance'), undefined, { ...priceVariance, priceCheckedAt: '2025-06-02T10:00:00Z' }, now)).toEqual([]);
  });

  it('flags stale data with how old it is and the limit', () => {
    expect(checkPayload(typeOf('price-variance'), undefined, { ...priceVariance, priceCheckedAt: '2025-05-29T07:30:00+01:00' }, now)).toEqual([
      { path: 'payload.priceCheckedAt', message: 'is stale: 4d5h30m old; must be at most 3d old' },
    ]);
    expect(checkPayload(typeOf('low-confidence-recommendation'), undefined, { ...recommendation, recommendedAt: '2025-05-26' }, now)).toEqual([
      { path: 'payload.recommendedAt', message: 'is stale: 7d12h old; must be at most 7d old' },
    ]);
  });

  it('does not reject a stale-input exception for the stale data it reports', () => {
    const payload = {
      poNumber: 'PO-00451877',
      sku: 'BRK-PAD-4411',
      supplierId: 'SUP-20931',
      staleField: 'inventory-snapshot',
      dataAsOf: '2025-04-01',
      freshnessLimit: '24h',
      modelVersion: 'po-rec-2025.05.3',
    };
    expect(checkPayload(typeOf('stale-input'), undefined, payload, now)).toEqual([]);
  });

  it.each(['2025-02-30', '31/05/2025', '2025-06-01T10:00:00', '2025-06-01 10:00:00Z', 'yesterday'])('rejects %j as a date', (value) => {
    const errors = checkPayload(typeOf('low-confidence-recommendation'), undefined, { ...recommendation, recommendedAt: value }, now);
    expect(errors).toEqual([{ path: 'payload.recommendedAt', message: expect.stringContaining('expected an ISO 8601 date') }]);
  });
});

describe('local fields', () => {
  const local: Record<string, FieldSpec> = {
    vatNumber: { type: 'string', required: true, pattern: '^[A-Z]{2}[0-9A-Z]{8,12}$' },
    incoterm: { type: 'enum', required: true, values: ['EXW', 'FCA', 'DAP', 'DDP'] },
  };

  it('are optional even when the spec says required', () => {
    expect(checkPayload(typeOf('price-variance'), local, priceVariance, now)).toEqual([]);
  });

  it('are type-checked when present', () => {
    expect(checkPayload(typeOf('price-variance'), local, { ...priceVariance, vatNumber: 'DE123', incoterm: 'FOB' }, now)).toEqual([
      { path: 'payload.vatNumber', message: "'DE123' does not match ^[A-Z]{2}[0-9A-Z]{8,12}$" },
      { path: 'payload.incoterm', message: "'FOB' is not one of EXW, FCA, DAP, DDP" },
    ]);
  });
});
