// `npm run bench:templates [-- --quick | --open 10000 --runs 25]`: template versions (issue 17) against
// a ledger alone: a rehearsal of the shipped scenarios in one region (budget 1 s) and the preview of a
// new version, its impact dry-run over the open exceptions included (budget 5 s at 10 000 open).
import { parseArgs } from 'node:util';
import { templatePhase } from './phases/templates.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, open: { type: 'string' }, runs: { type: 'string' } } });
const open = Number(values.open ?? 10_000);
const runs = Number(values.runs ?? (values.quick ? 10 : 25));
const result = await templatePhase({ open, runs });
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
const met = (ratio: number) => (ratio < 1 ? 'met   ' : 'MISSED');
process.stdout.write(`target ${met(result.ratios.rehearsal)} rehearsal of ${result.scenarios} scenarios: p95 ${result.rehearsalMs.p95} ms (target < 1000 ms)\n`);
process.stdout.write(`target ${met(result.ratios.preview)} impact dry-run over ${result.open} open: p95 ${result.previewMs.p95} ms (target < 5000 ms)\n`);
