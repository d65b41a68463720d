import { z } from 'zod';
import { findGaps, GapKind, type GapFinding } from '../../domain/gaps.js';
import { inScope } from '../../domain/principal.js';
import { Region } from '../../domain/rollout.js';
import type { LedgerDb } from '../../ledger/db.js';
import { gapInputs } from '../../ledger/gaps.js';
import type { ApiRoutes } from '../route.js';

const Finding = z
  .object({
    capability: z.string().nullable(),
    region: z.string().nullable(),
    area: z.string().nullable(),
    kind: z.enum(GapKind),
    detail: z.string(),
    since: z.string().nullable(),
    person: z.string().optional(),
    exceptionId: z.string().optional(),
  })
  .meta({ id: 'GapFinding' });

const columns = ['capability', 'region', 'area', 'kind', 'detail', 'since', 'person', 'exceptionId'] as const;
const csvCell = (value: unknown) => {
  const text = value === null || value === undefined ? '' : String(value);
  // Quote always; a leading = + - @ is defused so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
};
export const toCsv = (findings: GapFinding[]) =>
  [columns.join(','), ...findings.map((f) => columns.map((c) => csvCell(f[c])).join(','))].join('\r\n') + '\r\n';

export function auditRoutes(routes: ApiRoutes, deps: { ledger: LedgerDb; thresholds: { maxCellsPerPerson: number; maxOpenPerOwner: number } }) {
  routes.route({
    method: 'get',
    path: '/api/v1/audit/ownership-gaps',
    summary: 'Every ownership gap: unowned cells, inactive owners and backups, missing backups, empty escalation steps, single points of failure, overload, orphaned exceptions and owners whose e-mail is refused',
    description: 'JSON, or CSV with Accept: text/csv. Person-level findings (overloaded, too many cells) have no capability or region.',
    tags: ['audit'],
    roles: ['manager', 'admin'],
    scope: { kind: 'listing', filters: 'findings in scope; person-level findings (which span regions) only without a scope restriction' },
    query: z.strictObject({ capability: z.string().max(64).optional(), region: Region.optional(), kind: z.enum(GapKind).optional() }),
    responses: {
      200: { description: 'Findings', schema: z.object({ items: z.array(Finding), counts: z.record(z.string(), z.number()) }) },
    },
    handler: async ({ query, principal, req, res }) => {
      const all = findGaps(await gapInputs(deps.ledger, deps.thresholds));
      const items = all.filter(
        (f) =>
          (!query.kind || f.kind === query.kind) &&
          (f.capability === null ? !principal.scope : ((!query.capability || f.capability === query.capability) && (!query.region || f.region === query.region) && inScope(principal, f.capability, f.region ?? '*'))),
      );
      if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
        res.type('text/csv').setHeader('content-disposition', 'attachment; filename="ownership-gaps.csv"');
        res.send(toCsv(items));
        return;
      }
      const counts: Record<string, number> = {};
      for (const f of items) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
      return { items, counts };
    },
  });
}
