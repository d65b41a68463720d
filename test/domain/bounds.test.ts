import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseTemplate, type CapabilityTemplate } from '../../domain/capability.js';
import { Duration, durationMs, durationWithin, MAX_DURATION_MS, SLA_LIMITS } from '../../domain/duration.js';
import { applyOverlay } from '../../domain/rollout.js';

const source = readFileSync(new URL('../../templates/po-assist.yaml', import.meta.url), 'utf8');

/** The shipped template as plain data, for setting values on purpose. */
function raw(): any {
  return JSON.parse(JSON.stringify(YAML.parse(source)));
}

function core(): CapabilityTemplate {
  const result = parseTemplate(source, 'yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
}

const lastStep = (t: any) => t.slaPolicies.medium.escalation.length - 1;

describe('durations have an upper bound', () => {
  it.each([
    ['36500d', 36_500 * 86_400_000],
    ['36499d23h59m59s', 36_500 * 86_400_000 - 1000],
  ])('durationMs accepts %s, a century at most', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it.each(['36501d', '36500d1s', '999999999d', '99999999999999999999999999d', `${'9'.repeat(400)}s`])('durationMs refuses %s', (text) => {
    expect(() => durationMs(text)).toThrow(/longer than 36500d/);
  });

  it.each(['999999999d', '36501d'])('the Duration schema refuses %s with one message', (text) => {
    const result = Duration.safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toEqual(['must be at most 36500d']);
  });

  it('durationWithin compares without throwing, whatever it is given', () => {
    expect(durationWithin('90d', '90d')).toBe(true);
    expect(durationWithin('2160h', '90d')).toBe(true);
    expect(durationWithin('2160h1s', '90d')).toBe(false);
    expect(durationWithin('999999999d', '90d')).toBe(false);
    expect(durationWithin('soon', '90d')).toBe(false);
  });

  it('keeps the latest deadline a policy at its limits can compute inside the range of a Date', () => {
    const now = Date.now();
    const policyLimit =
      now +
      durationMs(SLA_LIMITS.window) +
      durationMs(SLA_LIMITS.escalationDelay) +
      durationMs(SLA_LIMITS.repeatEvery) * SLA_LIMITS.repeatTimes;
    expect(new Date(policyLimit).toISOString()).toMatch(/^\d{4}-/);
    // Even a thousand of the longest durations any field may hold stay a valid date.
    expect(Number.isNaN(new Date(now + 1000 * MAX_DURATION_MS).getTime())).toBe(false);
  });
});

describe('SLA policies are bounded when a template is saved', () => {
  const cases: Array<[string, (t: any) => void, string, RegExp]> = [
    ['claimWithin over 90d', (t) => (t.slaPolicies.medium.claimWithin = '91d'), 'slaPolicies.medium.claimWithin', /at most 90d/],
    ['claimWithin absurd', (t) => (t.slaPolicies.medium.claimWithin = '999999999d'), 'slaPolicies.medium.claimWithin', /at most 90d/],
    ['resolveWithin over 90d', (t) => (t.slaPolicies.high.resolveWithin = '90d1s'), 'slaPolicies.high.resolveWithin', /at most 90d/],
    ['claimLease over 30d', (t) => (t.slaPolicies.low.claimLease = '31d'), 'slaPolicies.low.claimLease', /at most 30d/],
    [
      'an escalation delay over 30d',
      (t) => (t.slaPolicies.medium.escalation[lastStep(t)].after = '721h'),
      'slaPolicies.medium.escalation.3.after',
      /at most 30d/,
    ],
    ['repeat.every over 30d', (t) => (t.slaPolicies.critical.repeat = { every: '30d1m', times: 2 }), 'slaPolicies.critical.repeat.every', /at most 30d/],
    ['repeat.times over 100', (t) => (t.slaPolicies.critical.repeat = { every: '1h', times: 101 }), 'slaPolicies.critical.repeat.times', /<=100/],
    [
      'a freshness limit over a century',
      (t) => (t.exceptionTypes[0].contract.fields.recommendedAt.maxAge = '36501d'),
      'exceptionTypes.0.contract.fields.recommendedAt.maxAge',
      /at most 36500d/,
    ],
  ];

  it.each(cases)('refuses %s, naming its path', (_name, breakIt, path, message) => {
    const template = raw();
    breakIt(template);
    const result = parseTemplate(template, 'object');
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it('accepts every bound exactly', () => {
    const template = raw();
    const policy = template.slaPolicies.medium;
    policy.claimWithin = '90d';
    policy.resolveWithin = '2160h';
    policy.claimLease = '30d';
    policy.escalation[lastStep(template)].after = '30d';
    policy.repeat = { every: '30d', times: 100 };
    expect(parseTemplate(template, 'object')).toMatchObject({ ok: true });
  });

  it('checks step order only between steps that are durations', () => {
    const template = raw();
    template.slaPolicies.medium.escalation[0].after = '999999999d';
    const result = parseTemplate(template, 'object');
    expect(result.ok ? [] : result.errors).toEqual([{ path: 'slaPolicies.medium.escalation.0.after', message: 'must be at most 30d' }]);
  });
});

describe('an overlay is bounded like the template', () => {
  it.each([
    [{ slaPolicies: { medium: { claimWithin: '999999999d' } } }, 'slaPolicies.medium.claimWithin', 'must be at most 90d'],
    [{ slaPolicies: { low: { resolveWithin: '100d' } } }, 'slaPolicies.low.resolveWithin', 'must be at most 90d'],
    [{ slaPolicies: { high: { claimLease: '31d' } } }, 'slaPolicies.high.claimLease', 'must be at most 30d'],
  ])('refuses %j at %s', (overlay, path, message) => {
    const result = applyOverlay(core(), overlay);
    expect(result).toEqual({ ok: false, errors: [{ path, message }] });
  });
});
