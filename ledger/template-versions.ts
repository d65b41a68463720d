import type { CapabilityTemplate, SlaPolicy } from '../domain/capability.js';
import type { Rehearsal, ScenarioResult } from '../domain/rehearsal.js';
import type { OpenException } from '../domain/template-diff.js';
import type { LedgerDb } from './db.js';

/** Every published core version of a capability (0014_template_versions), and each region's latest rehearsal. */

export interface StoredVersion {
  capabilityId: string;
  version: number;
  template: CapabilityTemplate;
  source: string;
  publishedAt: string;
  publishedBy: string;
}

// A published version never changes, so each is parsed once (an exception's detail reads its procedure from it).
const parsedByLedger = new WeakMap<LedgerDb, Map<string, StoredVersion>>();

export async function getVersion(db: LedgerDb, capabilityId: string, version: number): Promise<StoredVersion | undefined> {
  const key = `${capabilityId}#${version}`;
  let parsed = parsedByLedger.get(db);
  if (!parsed) parsedByLedger.set(db, (parsed = new Map()));
  const cached = parsed.get(key);
  if (cached) return cached;
  const row = await db.selectFrom('capability_versions').selectAll().where('capability_id', '=', capabilityId).where('version', '=', version).executeTakeFirst();
  if (!row) return undefined;
  const stored = { capabilityId: row.capability_id, version: row.version, template: JSON.parse(row.template) as CapabilityTemplate, source: row.source, publishedAt: row.published_at, publishedBy: row.published_by };
  if (parsed.size >= 64) parsed.clear();
  parsed.set(key, stored);
  return stored;
}

/** The history, newest first, without the templates. */
export async function listVersions(db: LedgerDb, capabilityId: string): Promise<Array<Omit<StoredVersion, 'template'>>> {
  const rows = await db
    .selectFrom('capability_versions')
    .select(['capability_id', 'version', 'source', 'published_at', 'published_by'])
    .where('capability_id', '=', capabilityId)
    .orderBy('version', 'desc')
    .execute();
  return rows.map((r) => ({ capabilityId: r.capability_id, version: r.version, source: r.source, publishedAt: r.published_at, publishedBy: r.published_by }));
}

export async function saveRehearsal(db: LedgerDb, rehearsal: Rehearsal, trigger: string): Promise<void> {
  const row = {
    capability_id: rehearsal.capability,
    region: rehearsal.region,
    template_version: rehearsal.templateVersion,
    at: rehearsal.at,
    trigger,
    total: rehearsal.total,
    failed: rehearsal.failed,
    results: JSON.stringify(rehearsal.results),
  };
  await db
    .insertInto('rehearsals')
    .values(row)
    .onConflict((oc) => oc.columns(['capability_id', 'region', 'template_version']).doUpdateSet(row))
    .execute();
}

export type StoredRehearsal = Rehearsal & { trigger: string };

/** The latest rehearsal of a region under a template version (by default, the one it runs). */
export async function getRehearsal(db: LedgerDb, capabilityId: string, region: string, templateVersion?: number): Promise<StoredRehearsal | undefined> {
  let query = db.selectFrom('rehearsals').selectAll().where('capability_id', '=', capabilityId).where('region', '=', region);
  if (templateVersion === undefined) {
    query = query.where('template_version', '=', (eb) =>
      eb.selectFrom('capability_regions').select('template_version').where('capability_id', '=', capabilityId).where('region', '=', region),
    );
  } else query = query.where('template_version', '=', templateVersion);
  const row = await query.executeTakeFirst();
  return (
    row && {
      capability: row.capability_id,
      region: row.region,
      templateVersion: row.template_version,
      at: row.at,
      trigger: row.trigger,
      total: row.total,
      failed: row.failed,
      results: JSON.parse(row.results) as ScenarioResult[],
    }
  );
}

/** A region's open and claimed exceptions, as the impact dry-run reads them, a page at a time. */
export async function* openExceptions(db: LedgerDb, capabilityId: string, region: string, pageSize = 2000): AsyncGenerator<OpenException> {
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('exceptions')
      .select(['id', 'type', 'area', 'severity', 'status', 'owner', 'created_at', 'state', 'payload'])
      .where('capability', '=', capabilityId)
      .where('region', '=', region)
      .where('status', 'in', ['open', 'claimed'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(pageSize)
      .execute();
    for (const r of rows) {
      yield {
        id: r.id,
        type: r.type,
        area: r.area,
        severity: r.severity,
        status: r.status,
        owner: r.owner,
        createdAt: r.created_at,
        policy: (JSON.parse(r.state) as { policy: SlaPolicy }).policy,
        payload: JSON.parse(r.payload) as unknown,
      };
    }
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.id;
  }
}

/** Whether a cell of the region changed after `at` (an ISO time): a rehearsal from before it may no longer hold. */
export async function matrixChangedSince(db: LedgerDb, capabilityId: string, region: string, at: string): Promise<boolean> {
  const row = await db.selectFrom('ownership_changes').select('version').where('capability', '=', capabilityId).where('region', '=', region).where('at', '>', at).limit(1).executeTakeFirst();
  return row !== undefined;
}
