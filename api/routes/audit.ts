import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { appendAudit } from '../../ledger/audit.js';
import { findGaps, GapKind, type GapFinding } from '../../domain/gaps.js';
import { inScope } from '../../domain/principal.js';
import { Region } from '../../domain/rollout.js';
import type { LedgerDb } from '../../ledger/db.js';
import { gapInputs } from '../../ledger/gaps.js';
import { relintCapability } from '../../ledger/chain-lint.js';
import { ChainLintKind } from '../../domain/rules/chain-lint.js';
import type { ApiRoutes } from '../route.js';
import { requireCapability } from '../services/catalog.js';

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

  routes.route({
    method: 'post',
    path: '/api/v1/capabilities/{capabilityId}/chain-lint',
    summary: "Lint the capability's escalation chains now, in every rolled-out region, and store the findings for the gap audit",
    description:
      'Each step of each SLA policy of the region\'s effective template, over each owned cell: a step that resolves to nobody, to a departed, ' +
      'on-leave or unreachable person, the same person at every step, a loop in manager-of-owner, a chain shorter than the policy needs. ' +
      'The lint also runs by itself on every matrix, template, overlay or directory change; its findings are gap kinds of GET /api/v1/audit/ownership-gaps.',
    tags: ['audit'],
    roles: ['manager', 'admin'],
    scope: { kind: 'capability', of: ({ params }) => params.capabilityId },
    params: z.strictObject({ capabilityId: z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'expected a kebab-case id such as po-assist') }),
    responses: {
      200: {
        description: 'The findings, now stored',
        schema: z.object({
          items: z.array(z.object({ capability: z.string(), region: z.string(), area: z.string(), kind: z.enum(ChainLintKind), detail: z.string(), person: z.string().optional(), since: z.string() })),
          counts: z.record(z.string(), z.number()),
        }),
      },
      404: { description: 'Unknown capability' },
    },
    handler: async ({ params, principal }) => {
      await requireCapability(deps.ledger, params.capabilityId);
      const items = await relintCapability(deps.ledger, params.capabilityId);
      await appendAudit(deps.ledger, [
        { idempotencyKey: `chain-lint:${params.capabilityId}:${randomUUID()}`, at: new Date().toISOString(), actor: principal.sub, action: 'chain-lint.run', subjectType: 'capability', subjectId: params.capabilityId, detail: { findings: items.length } },
      ]);
      const counts: Record<string, number> = {};
      for (const f of items) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
      return { items, counts };
    },
  });
}
