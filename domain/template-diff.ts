import type { CapabilityTemplate, FieldSpec, SlaPolicy } from './capability.js';
import { checkPayload } from './contract.js';
import { durationMs } from './rules/duration.js';

/**
 * What changes for a region that adopts another template version (issue 17): the diff of its
 * effective templates, and the impact on its open exceptions. Pure, so a test and the bench measure
 * the same code the API runs.
 */

export type DiffSection = 'exception-types' | 'contract' | 'sla' | 'escalation' | 'value-events' | 'cutover' | 'adaptable' | 'local-fields' | 'procedures' | 'scenarios';

export interface TemplateChange {
  section: DiffSection;
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function keyed<T>(section: DiffSection, prefix: string, before: Record<string, T>, after: Record<string, T>, changed = true): TemplateChange[] {
  const changes: TemplateChange[] = [];
  for (const [key, value] of Object.entries(before)) {
    if (!Object.hasOwn(after, key)) changes.push({ section, path: `${prefix}.${key}`, kind: 'removed', before: value });
    else if (changed && !same(value, after[key])) changes.push({ section, path: `${prefix}.${key}`, kind: 'changed', before: value, after: after[key] });
  }
  for (const [key, value] of Object.entries(after)) {
    if (!Object.hasOwn(before, key)) changes.push({ section, path: `${prefix}.${key}`, kind: 'added', after: value });
  }
  return changes;
}

const byId = <T extends { id: string }>(items: readonly T[] | undefined) => Object.fromEntries((items ?? []).map((item) => [item.id, item]));
const steps = (policy: SlaPolicy) => policy.escalation.map((step) => `${step.after} → ${step.notify}`);

function slaChanges(from: CapabilityTemplate, to: CapabilityTemplate): TemplateChange[] {
  const changes: TemplateChange[] = [];
  for (const severity of Object.keys(to.slaPolicies) as Array<keyof CapabilityTemplate['slaPolicies']>) {
    const a = from.slaPolicies[severity];
    const b = to.slaPolicies[severity];
    for (const key of ['claimWithin', 'resolveWithin', 'claimLease', 'repeat'] as const) {
      if (!same(a[key], b[key])) changes.push({ section: 'sla', path: `slaPolicies.${severity}.${key}`, kind: 'changed', before: a[key] ?? null, after: b[key] ?? null });
    }
    if (!same(a.escalation, b.escalation)) changes.push({ section: 'escalation', path: `slaPolicies.${severity}.escalation`, kind: 'changed', before: steps(a), after: steps(b) });
  }
  return changes;
}

/** Every difference a region would notice, from its effective template `from` to the candidate `to`. */
export function diffTemplates(from: CapabilityTemplate, to: CapabilityTemplate): TemplateChange[] {
  const typesBefore = byId(from.exceptionTypes);
  const typesAfter = byId(to.exceptionTypes);
  // An added or removed type is named by its path; its whole definition would drown the diff.
  const changes: TemplateChange[] = keyed('exception-types', 'exceptionTypes', typesBefore, typesAfter, false).map((c) => ({ section: c.section, path: c.path, kind: c.kind }));
  for (const [id, before] of Object.entries(typesBefore)) {
    const after = typesAfter[id];
    if (!after) continue;
    for (const key of ['area', 'defaultSeverity'] as const) {
      if (before[key] !== after[key]) changes.push({ section: 'exception-types', path: `exceptionTypes.${id}.${key}`, kind: 'changed', before: before[key], after: after[key] });
    }
    changes.push(...keyed<FieldSpec>('contract', `exceptionTypes.${id}.contract.fields`, before.contract.fields, after.contract.fields));
    if (before.procedure !== after.procedure) {
      changes.push({ section: 'procedures', path: `exceptionTypes.${id}.procedure`, kind: before.procedure === undefined ? 'added' : after.procedure === undefined ? 'removed' : 'changed' });
    }
  }
  changes.push(...slaChanges(from, to));
  changes.push(...keyed('value-events', 'valueEvents', byId(from.valueEvents), byId(to.valueEvents)));
  changes.push(...keyed('cutover', 'cutover', from.cutover as Record<string, unknown>, to.cutover as Record<string, unknown>));
  changes.push(...keyed('local-fields', 'localFields', from.localFields ?? {}, to.localFields ?? {}));
  const adaptable = (t: CapabilityTemplate) => Object.fromEntries(t.adaptable.map((p) => [p, true]));
  changes.push(...keyed('adaptable', 'adaptable', adaptable(from), adaptable(to)).map((c) => ({ section: c.section, path: c.path, kind: c.kind })));
  changes.push(...keyed('scenarios', 'scenarios', byId(from.scenarios), byId(to.scenarios)).map((c) => ({ section: c.section, path: c.path, kind: c.kind })));
  return changes;
}

/** An open exception as the impact dry-run reads it from the ledger. */
export interface OpenException {
  id: string;
  type: string;
  area: string;
  severity: string;
  status: string;
  owner: string | null;
  createdAt: number;
  /** The policy the exception runs under (its own copy, from its state). */
  policy: SlaPolicy;
  payload: unknown;
}

export interface Impact {
  open: number;
  changeOwner: number;
  changeDeadline: number;
  failContract: number;
  /** Exceptions with at least one of the three. */
  affected: number;
  /** Up to `sampleSize` ids per kind, to look at. */
  samples: { changeOwner: string[]; changeDeadline: string[]; failContract: string[] };
}

const windowDiffers = (a: string, b: string) => durationMs(a) !== durationMs(b);

/**
 * What the candidate template would change for the open exceptions, had they been raised under it
 * (they keep the version they were raised under: this is a dry run):
 * - owner: its type routes to another area whose owner (ownerOf, the routing rule's answer) is not its owner now;
 * - deadline: its severity's claim window (while unclaimed) or resolve window differs from the one it runs under;
 * - contract: its type is gone, or its payload breaks the type's contract as of when it was raised.
 */
export function impactOf(rows: Iterable<OpenException>, to: CapabilityTemplate, ownerOf: (area: string) => string | null, sampleSize = 20): Impact {
  const types = byId(to.exceptionTypes);
  const impact: Impact = { open: 0, changeOwner: 0, changeDeadline: 0, failContract: 0, affected: 0, samples: { changeOwner: [], changeDeadline: [], failContract: [] } };
  const note = (kind: keyof Impact['samples'], id: string) => {
    impact[kind] += 1;
    if (impact.samples[kind].length < sampleSize) impact.samples[kind].push(id);
  };
  for (const row of rows) {
    impact.open += 1;
    const type = types[row.type];
    let affected = false;
    if (!type || checkPayload(type, to.localFields, row.payload, new Date(row.createdAt)).length > 0) {
      note('failContract', row.id);
      affected = true;
    }
    if (type && type.area !== row.area && ownerOf(type.area) !== row.owner) {
      note('changeOwner', row.id);
      affected = true;
    }
    const policy = to.slaPolicies[row.severity as keyof CapabilityTemplate['slaPolicies']];
    if (policy && ((row.status === 'open' && windowDiffers(row.policy.claimWithin, policy.claimWithin)) || windowDiffers(row.policy.resolveWithin, policy.resolveWithin))) {
      note('changeDeadline', row.id);
      affected = true;
    }
    if (affected) impact.affected += 1;
  }
  return impact;
}
