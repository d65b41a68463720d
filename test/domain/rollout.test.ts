import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTemplate, type CapabilityTemplate } from '../../domain/capability.js';
import { applyOverlay, Region } from '../../domain/rollout.js';

const source = readFileSync(new URL('../../templates/po-assist.yaml', import.meta.url), 'utf8');

function core(): CapabilityTemplate {
  const result = parseTemplate(source, 'yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
}

function effective(overlay: unknown): { effective: CapabilityTemplate; changed: string[] } {
  const result = applyOverlay(core(), overlay);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result;
}

function errorsOf(overlay: unknown, template = core()) {
  const result = applyOverlay(template, overlay);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
}

describe('regions', () => {
  it.each(['NA', 'EMEA', 'APAC', 'LATAM', 'UK-IE'])('accepts %s', (code) => {
    expect(Region.safeParse(code).success).toBe(true);
  });

  it.each(['emea', 'E', '-NA', 'NORTH AMERICA', 'A-VERY-LONG-REGION'])('rejects %j', (code) => {
    expect(Region.safeParse(code).success).toBe(false);
  });
});

describe('a regional overlay', () => {
  const emea = {
    timeZone: 'Europe/Berlin',
    slaPolicies: { critical: { claimWithin: '30m' }, low: { resolveWithin: '7d' } },
    businessCalendar: { workdays: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: { start: '09:00', end: '17:30' } },
    notifications: { channel: { webhook: 'https://hooks.example.com/po-assist/emea' } },
    localFields: { vatNumber: { type: 'string', pattern: '^[A-Z]{2}[0-9A-Z]{8,12}$' } },
  };

  it('applies adaptable overrides and lists what changed', () => {
    const { effective: template, changed } = effective(emea);
    expect(changed).toEqual([
      'timeZone',
      'slaPolicies.critical.claimWithin',
      'slaPolicies.low.resolveWithin',
      'businessCalendar',
      'notifications.channel',
      'localFields',
    ]);
    expect(template.timeZone).toBe('Europe/Berlin');
    expect(template.slaPolicies.critical).toMatchObject({ claimWithin: '30m', resolveWithin: '4h', claimLease: '30m' });
    expect(template.slaPolicies.low.resolveWithin).toBe('7d');
    expect(template.businessCalendar?.hours).toEqual({ start: '09:00', end: '17:30' });
    expect(template.notifications.channel).toEqual({ webhook: 'https://hooks.example.com/po-assist/emea' });
    expect(template.localFields?.vatNumber).toMatchObject({ type: 'string', required: true });
    expect(template.exceptionTypes).toEqual(core().exceptionTypes);
  });

  it('replaces an adaptable object whole rather than merging into it', () => {
    const { effective: template } = effective({ businessCalendar: { workdays: ['sun', 'mon', 'tue', 'wed', 'thu'] } });
    expect(template.businessCalendar).toEqual({ workdays: ['sun', 'mon', 'tue', 'wed', 'thu'] });
  });

  it('does not change the core template or share objects with it', () => {
    const template = core();
    const before = JSON.parse(JSON.stringify(template));
    const result = applyOverlay(template, emea);
    expect(result.ok).toBe(true);
    expect(template).toEqual(before);
    if (result.ok) {
      result.effective.slaPolicies.high.claimWithin = '9h';
      result.effective.exceptionTypes[0]!.description = 'changed';
    }
    expect(template).toEqual(before);
  });

  it('accepts an empty overlay as no change', () => {
    expect(applyOverlay(core(), {})).toEqual({ ok: true, effective: core(), changed: [] });
  });

  it('names every key that is not adaptable, all at once', () => {
    const errors = errorsOf({
      exceptionTypes: [],
      valueEvents: [{ id: 'rework-avoided', description: 'x' }],
      slaPolicies: { high: { someTypo: '1h', claimWithin: '2h', escalation: [{ after: '1h', notify: 'owner' }] } },
      cutover: { minDaysStable: 3 },
    });
    expect(errors.map((error) => error.path)).toEqual([
      'exceptionTypes',
      'valueEvents',
      'slaPolicies.high.someTypo',
      'slaPolicies.high.escalation',
      'cutover.minDaysStable',
    ]);
    expect(errors[0]?.message).toBe(
      'not adaptable in this template; adaptable keys: slaPolicies.*.claimWithin, slaPolicies.*.resolveWithin, ' +
        'slaPolicies.*.claimLease, timeZone, businessCalendar, notifications.channel, localFields, decisionTriggers.*.threshold, localNotes',
    );
  });

  it('only allows what the template itself declares adaptable', () => {
    const strict = { ...core(), adaptable: ['slaPolicies.high.claimWithin'] };
    expect(applyOverlay(strict, { slaPolicies: { high: { claimWithin: '2h' } } }).ok).toBe(true);
    expect(errorsOf({ slaPolicies: { low: { claimWithin: '2d' } }, timeZone: 'Asia/Tokyo' }, strict).map((e) => e.path)).toEqual([
      'slaPolicies.low.claimWithin',
      'timeZone',
    ]);
  });

  it('rejects prototype-polluting keys with their path', () => {
    expect(errorsOf(JSON.parse('{"__proto__": {"polluted": true}}'))).toEqual([
      { path: '__proto__', message: "'__proto__' is not allowed as a key" },
    ]);
    expect(errorsOf(JSON.parse('{"localFields": {"constructor": {"prototype": {"polluted": true}}}}'))[0]?.path).toBe(
      'localFields.constructor',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a wrongly typed override with its path', () => {
    const errors = errorsOf({
      slaPolicies: { '*': { claimLease: '1h' }, low: { claimWithin: 'soon' } },
      timeZone: 'Mars/Olympus',
      notifications: { channel: 'email' },
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: 'slaPolicies.low.claimWithin', message: 'expected a duration such as 15m, 4h or 2s' },
        { path: 'slaPolicies.*', message: "unknown key '*'" },
        { path: 'timeZone', message: expect.stringContaining('IANA') },
        { path: 'notifications.channel', message: expect.any(String) },
      ]),
    );
  });

  it('rejects local fields that clash with a contract field', () => {
    expect(errorsOf({ localFields: { poNumber: { type: 'string' } } })).toEqual([
      { path: 'localFields.poNumber', message: expect.stringContaining("contract field 'poNumber'") },
    ]);
  });

  it.each([[[]], ['timeZone: UTC'], [null]])('rejects %j as an overlay', (overlay) => {
    expect(errorsOf(overlay)).toEqual([{ path: '', message: expect.stringContaining('mapping') }]);
  });
});
