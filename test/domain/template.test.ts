import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseEscalationTarget, parseTemplate, type CapabilityTemplate } from '../../domain/capability.js';
import { Duration, durationMs, formatDuration } from '../../domain/duration.js';

const source = readFileSync(new URL('../../templates/po-assist.yaml', import.meta.url), 'utf8');

/** A fresh, alias-free copy of the shipped template as plain data, for breaking on purpose. */
function raw(): any {
  return JSON.parse(JSON.stringify(YAML.parse(source)));
}

function shipped(): CapabilityTemplate {
  const result = parseTemplate(source, 'yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
}

function errorsOf(template: unknown) {
  const result = parseTemplate(template, 'object');
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
}

describe('durations', () => {
  it.each(['2s', '15m', '4h', '1d', '90s', '1h30m', '2d12h'])('accepts %s', (text) => {
    expect(Duration.safeParse(text).success).toBe(true);
  });

  it.each(['0', '0m', '-1m', '15', '15 minutes', '', '30m1h', '1.5h'])('rejects %j with a hint', (text) => {
    const result = Duration.safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('expected a duration such as 15m, 4h or 2s');
  });

  it('converts to and from milliseconds', () => {
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('1d')).toBe(86_400_000);
    expect(durationMs('90s')).toBe(90_000);
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(90_061_500)).toBe('1d1h1m1s');
    expect(formatDuration(0)).toBe('0s');
    expect(() => durationMs('soon')).toThrow(/not a duration/);
  });
});

describe('escalation targets', () => {
  it('parses every target kind', () => {
    expect(parseEscalationTarget('owner')).toEqual({ kind: 'owner' });
    expect(parseEscalationTarget('backup')).toEqual({ kind: 'backup' });
    expect(parseEscalationTarget('manager-of-owner')).toEqual({ kind: 'manager-of-owner' });
    expect(parseEscalationTarget('escalation[0]')).toEqual({ kind: 'escalation', index: 0 });
    expect(parseEscalationTarget('escalation[12]')).toEqual({ kind: 'escalation', index: 12 });
    expect(() => parseEscalationTarget('escalation[-1]')).toThrow();
    expect(() => parseEscalationTarget('escalation[01]')).toThrow();
  });
});

describe('the shipped PO Assist template', () => {
  it('parses with every responsibility area covered', () => {
    const template = shipped();
    expect(template.id).toBe('po-assist');
    expect(Object.fromEntries(template.exceptionTypes.map((type) => [type.id, type.area]))).toEqual({
      'low-confidence-recommendation': 'model-retraining',
      'missing-input-field': 'exception-queue',
      'stale-input': 'exception-queue',
      'price-variance': 'business-rules',
      'supplier-mismatch': 'business-rules',
      'quality-check-failed': 'model-retraining',
      'recommendation-overridden-repeatedly': 'adoption-training',
    });
    expect(template.valueEvents.map((event) => event.id)).toEqual([
      'recommendation-accepted',
      'recommendation-corrected',
      'rework-avoided',
      'supplier-data-fixed',
      'model-feedback-logged',
    ]);
    expect(template.timeZone).toBe('UTC');
    expect(template.notifications).toEqual({ channel: 'none' });
  });

  it('has the freshness limit, defaults and SLAs a reader of the file expects', () => {
    const template = shipped();
    const fieldsOf = (id: string) => template.exceptionTypes.find((type) => type.id === id)?.contract.fields;
    expect(fieldsOf('low-confidence-recommendation')?.recommendedAt).toMatchObject({ type: 'date', maxAge: '7d', required: true });
    expect(fieldsOf('price-variance')?.priceCheckedAt).toMatchObject({ type: 'date', maxAge: '3d', required: true });
    // stale-input reports stale data, so none of its own fields carries a freshness limit.
    const stale = fieldsOf('stale-input');
    expect(stale?.dataAsOf).toMatchObject({ type: 'date', required: true });
    expect(Object.entries(stale ?? {}).filter(([, spec]) => spec.type === 'date' && spec.maxAge !== undefined)).toEqual([]);
    expect(template.slaPolicies.critical).toMatchObject({ claimWithin: '15m', resolveWithin: '4h' });
    expect(template.slaPolicies.low.claimWithin).toBe('1d');
    const targets = Object.values(template.slaPolicies).flatMap((policy) => policy.escalation.map((step) => step.notify));
    expect(new Set(targets)).toEqual(new Set(['owner', 'backup', 'escalation[0]', 'escalation[1]', 'manager-of-owner']));
  });

  it('parses the same from JSON', () => {
    const result = parseTemplate(JSON.stringify(raw()), 'json');
    expect(result).toEqual({ ok: true, template: shipped() });
  });
});

describe('a broken template', () => {
  const cases: Array<[string, (t: any) => void, string, RegExp]> = [
    ['an unknown top-level key', (t) => (t.owner = 'ops'), 'owner', /unknown key 'owner'/],
    [
      'an unknown field-spec key',
      (t) => (t.exceptionTypes[0].contract.fields.poNumber.regex = '^PO'),
      'exceptionTypes.0.contract.fields.poNumber.regex',
      /unknown key 'regex'/,
    ],
    ['a bad duration', (t) => (t.slaPolicies.critical.claimWithin = '15 minutes'), 'slaPolicies.critical.claimWithin', /expected a duration such as 15m/],
    ['an unknown area', (t) => (t.exceptionTypes[2].area = 'finance'), 'exceptionTypes.2.area', /business-rules/],
    [
      'a duplicate exception type id',
      (t) => (t.exceptionTypes[4].id = 'price-variance'),
      'exceptionTypes.4.id',
      /duplicate exception type id 'price-variance' \(first at 3\)/,
    ],
    [
      'a duplicate value event id',
      (t) => (t.valueEvents[2].id = 'recommendation-accepted'),
      'valueEvents.2.id',
      /duplicate value event id 'recommendation-accepted'/,
    ],
    ['a bad escalation target', (t) => (t.slaPolicies.high.escalation[1].notify = 'the-boss'), 'slaPolicies.high.escalation.1.notify', /manager-of-owner or escalation\[N\]/],
    [
      'decreasing escalation steps',
      (t) => (t.slaPolicies.medium.escalation[2].after = '30m'),
      'slaPolicies.medium.escalation.2.after',
      /30m is earlier than step 1 \(4h\)/,
    ],
    ['a missing severity policy', (t) => delete t.slaPolicies.low, 'slaPolicies.low', /required/],
    ['a pattern that cannot be adaptable', (t) => t.adaptable.push('exceptionTypes'), 'adaptable.9', /'exceptionTypes' cannot be made adaptable/],
    [
      'a wrongly typed bound',
      (t) => (t.exceptionTypes[3].contract.fields.unitPrice.min = 'zero'),
      'exceptionTypes.3.contract.fields.unitPrice.min',
      /expected number/,
    ],
    ['an unknown field type', (t) => (t.exceptionTypes[0].contract.fields.unitPrice.type = 'money'), 'exceptionTypes.0.contract.fields.unitPrice.type', /'string' \| 'number'/],
    ['an empty enum', (t) => (t.exceptionTypes[0].contract.fields.currency.values = []), 'exceptionTypes.0.contract.fields.currency.values', /at least 1|>=1/],
    ['a bad field name', (t) => (t.exceptionTypes[1].contract.fields['po number'] = { type: 'string' }), 'exceptionTypes.1.contract.fields.po number', /start with a letter/],
    ['an invalid regex', (t) => (t.exceptionTypes[0].contract.fields.poNumber.pattern = '^PO-(\\d+$'), 'exceptionTypes.0.contract.fields.poNumber.pattern', /not a valid regular expression/],
    ['an out-of-range cutover rate', (t) => (t.cutover.maxSlaBreachRate = 5), 'cutover.maxSlaBreachRate', /<=1/],
    ['a missing cutover threshold', (t) => delete t.cutover.minDaysStable, 'cutover.minDaysStable', /required/],
    ['an unknown time zone', (t) => (t.timeZone = 'Mars/Olympus'), 'timeZone', /IANA time zone/],
    ['a non-http webhook', (t) => (t.notifications.channel = { webhook: 'ftp://hooks.example.com/x' }), 'notifications.channel.webhook', /http or https URL/],
    ['business hours ending before they start', (t) => (t.businessCalendar.hours = { start: '18:00', end: '08:00' }), 'businessCalendar.hours.end', /after start/],
    ['a local field clashing with a contract field', (t) => (t.localFields = { sku: { type: 'string' } }), 'localFields.sku', /exception type 'low-confidence-recommendation'/],
  ];

  it.each(cases)('fails on %s with its path', (_name, breakIt, path, message) => {
    const template = raw();
    breakIt(template);
    const errors = errorsOf(template);
    expect(errors).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it('reports every problem at once', () => {
    const template = raw();
    template.owner = 'ops';
    template.slaPolicies.high.claimLease = '2 hours';
    template.exceptionTypes[5].defaultSeverity = 'urgent';
    expect(errorsOf(template).map((error) => error.path)).toEqual([
      'exceptionTypes.5.defaultSeverity',
      'slaPolicies.high.claimLease',
      'owner',
    ]);
  });

  it('reports YAML syntax errors with line and column', () => {
    const broken = source.replace('claimWithin: 15m', 'claimWithin: [15m');
    const result = parseTemplate(broken, 'yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.kind).toBe('syntax');
    expect(result.errors[0]?.message).toMatch(/line \d+, column \d+/);
  });

  it('reports duplicate YAML keys as syntax errors', () => {
    const result = parseTemplate('id: po-assist\nid: po-assist-2\n', 'yaml');
    expect(result).toMatchObject({ ok: false, kind: 'syntax', errors: [{ message: expect.stringMatching(/unique.*line 2, column 1/) }] });
  });

  it('reports JSON syntax errors with line and column where JSON gives a position', () => {
    const result = parseTemplate('{\n  "id": "po-assist",\n  "name" "PO Assist"\n}', 'json');
    expect(result).toMatchObject({ ok: false, kind: 'syntax', errors: [{ path: '', message: expect.stringMatching(/line 3, column 10/) }] });
  });

  it('treats an empty document as invalid, not as a crash', () => {
    expect(parseTemplate('', 'yaml')).toMatchObject({ ok: false, kind: 'invalid', errors: [{ path: '' }] });
  });
});
