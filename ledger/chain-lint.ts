import { ResponsibilityArea, type CapabilityTemplate } from '../domain/capability.js';
import { lintChains, type ChainLintFinding, type ChainLintInput, type ChainLintKind } from '../domain/rules/chain-lint.js';
import type { LedgerDb } from './db.js';
import { writeTransaction } from './dialect.js';

export interface StoredLintFinding {
  capability: string;
  region: string;
  area: string;
  kind: ChainLintKind;
  detail: string;
  person?: string;
  since: string;
}

/** What the lint reads for one capability: each rolled-out region's policies, the matrix, the directory. */
async function lintInput(db: LedgerDb, capability: string): Promise<ChainLintInput> {
  const rollouts = await db.selectFrom('capability_regions').select(['region', 'effective']).where('capability_id', '=', capability).orderBy('region').execute();
  const cells = await db.selectFrom('ownership_cells').select(['region', 'area', 'owner', 'backup', 'escalation']).where('capability', '=', capability).execute();
  const people = await db.selectFrom('people').select(['id', 'status', 'manager_id', 'unreachable_at']).execute();
  return {
    capability,
    regions: rollouts.map((r) => {
      const template = JSON.parse(r.effective) as CapabilityTemplate;
      return { region: r.region, policies: Object.entries(template.slaPolicies).map(([severity, policy]) => ({ severity, steps: policy.escalation.map((s) => s.notify) })) };
    }),
    cells: Object.fromEntries(cells.map((c) => [`${c.region}/${c.area}`, { owner: c.owner, backup: c.backup, escalation: JSON.parse(c.escalation) as string[] }])),
    people: Object.fromEntries(people.map((p) => [p.id, { status: p.status, managerId: p.manager_id, unreachable: Boolean(p.unreachable_at) }])),
  };
}

/**
 * Lints one capability's chains and replaces its stored findings, in one write transaction that reads
 * what it lints, so two runs never interleave into a mix. A finding seen before keeps its `since`.
 */
export async function relintCapability(db: LedgerDb, capability: string, now = new Date()): Promise<StoredLintFinding[]> {
  return writeTransaction(db, async (tx) => {
    const findings = lintChains(await lintInput(tx, capability), ResponsibilityArea.options);
    const before = new Map((await tx.selectFrom('chain_lint').select(['finding_key', 'since']).where('capability', '=', capability).execute()).map((r) => [r.finding_key, r.since]));
    await tx.deleteFrom('chain_lint').where('capability', '=', capability).execute();
    const at = now.toISOString();
    const rows = findings.map((f: ChainLintFinding) => ({
      capability,
      finding_key: f.key,
      region: f.region,
      area: f.area,
      kind: f.kind,
      person: f.person ?? null,
      detail: f.detail,
      since: before.get(f.key) ?? at,
      linted_at: at,
    }));
    for (let i = 0; i < rows.length; i += 200) await tx.insertInto('chain_lint').values(rows.slice(i, i + 200)).execute();
    return rows.map(toFinding);
  });
}

/** Lints every capability rolled out anywhere: after a directory change, which any chain may name. */
export async function relintAll(db: LedgerDb, now = new Date()): Promise<void> {
  const capabilities = await db.selectFrom('capability_regions').select('capability_id').distinct().execute();
  for (const { capability_id } of capabilities) await relintCapability(db, capability_id, now);
}

/** The stored findings, as the gap audit reads them. */
export async function storedLintFindings(db: LedgerDb, capability?: string): Promise<StoredLintFinding[]> {
  let query = db.selectFrom('chain_lint').selectAll().orderBy('capability').orderBy('region').orderBy('area').orderBy('finding_key');
  if (capability) query = query.where('capability', '=', capability);
  return (await query.execute()).map(toFinding);
}

function toFinding(r: { capability: string; region: string; area: string; kind: string; detail: string; person: string | null; since: string }): StoredLintFinding {
  return { capability: r.capability, region: r.region, area: r.area, kind: r.kind as ChainLintKind, detail: r.detail, ...(r.person ? { person: r.person } : {}), since: r.since };
}
