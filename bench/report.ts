import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CalendarCostResult, CalendarMicroResult, IntakeResult, LatencyPair, LatenessResult, ListingResult, MemoryResult, MetricsCostResult, TemplatePhaseResult, Throughput } from './phases/index.js';
import { round, type Percentiles } from './stats.js';

export interface SweepLevel {
  concurrency: number;
  desk: Throughput;
  bare: Throughput;
  /** ShardIOTimeout / deadline-exceeded style texts seen at this level (errors and logs). */
  overloadTexts: string[];
}

export interface Results {
  startedAt: string;
  finishedAt: string;
  command: string;
  mode: 'quick' | 'full' | 'large';
  machine: { cpus: number; cpuModel: string; memoryGiB: number; platform: string; node: string; temporalCli: string; loadAvgAtStart: number[]; loadAvgAtEnd: number[] };
  params: Record<string, unknown>;
  setupMs: Record<string, number>;
  lifecycle?: { desk: Throughput; bare: Throughput; ratio: number; history: { desk: HistoryStats; bare: HistoryStats }; rounds: number[][] };
  claimLatency: { warm?: LatencyPair; evicted?: LatencyPair & { maxCachedWorkflows: number } };
  metricsCost?: MetricsCostResult;
  calendar?: { micro: CalendarMicroResult; cost: CalendarCostResult };
  intake?: IntakeResult;
  memory?: MemoryResult;
  listing?: ListingResult;
  escalation?: LatenessResult;
  templates?: TemplatePhaseResult;
  sweep: SweepLevel[];
  overloadTexts: string[];
  /** The most frequent warnings and errors logged by the API, the worker and the SDK (ids blanked). */
  logSummary: Array<{ text: string; count: number }>;
  /** The dev server's WARN/ERROR lines, grouped (slow calls, failed tasks, deadline exceeded). */
  serverLogSummary: Array<{ text: string; count: number }>;
  targets: Target[];
  totalSeconds: number;
  /** Set when a phase failed; the figures before it are kept. */
  failed?: string;
}

export interface HistoryStats {
  sampled: number;
  avgEvents: number;
  min: number;
  max: number;
}

export interface Target {
  name: string;
  target: string;
  observed: string;
  met: boolean;
}

const f = (x: number | null | undefined, digits = 1) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : String(round(x, digits)));
const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
const pct = (p: Percentiles | null | undefined) => (p ? `${f(p.p50)} / ${f(p.p95)} / ${f(p.p99)}` : 'n/a');

export function evaluateTargets(r: Results): Target[] {
  const t: Target[] = [];
  if (r.lifecycle) t.push({ name: 'lifecycle throughput', target: '≥ 0.6x bare', observed: `${f(r.lifecycle.ratio, 2)}x`, met: r.lifecycle.ratio >= 0.6 });
  if (r.metricsCost) {
    const m = r.metricsCost;
    t.push({ name: 'metrics cost', target: '< 5 % of lifecycle throughput', observed: `${f(m.costPercent)} % (${f(m.on.perSecond)}/s on, ${f(m.off.perSecond)}/s off)`, met: m.costPercent < 5 });
  }
  for (const [label, pair] of [
    ['claim p99 (warm cache)', r.claimLatency.warm],
    ['claim p99 (evicted)', r.claimLatency.evicted],
  ] as const) {
    if (!pair) continue;
    const x = ratio(pair.desk.p99, pair.bare.p99);
    t.push({ name: label, target: '≤ 1.5x bare and ≤ 50 ms', observed: `${f(pair.desk.p99)} ms = ${f(x, 2)}x bare (${f(pair.bare.p99)} ms)`, met: x <= 1.5 && pair.desk.p99 <= 50 });
  }
  if (r.listing) {
    const worst = Math.max(...r.listing.queries.map((q) => q.desk.p95));
    const name = r.listing.queries.find((q) => q.desk.p95 === worst)?.name;
    t.push({ name: `listing p95 at ${r.listing.open} open`, target: '≤ 50 ms (every filter)', observed: `worst ${f(worst)} ms (${name})`, met: worst <= 50 });
  }
  if (r.templates) {
    const x = r.templates;
    t.push({ name: `rehearsal of ${x.scenarios} scenarios`, target: '< 1 s', observed: `p95 ${f(x.rehearsalMs.p95)} ms`, met: x.rehearsalMs.p95 < 1000 });
    t.push({ name: `adoption preview (impact dry-run) at ${x.open} open`, target: '< 5 s', observed: `p95 ${f(x.previewMs.p95)} ms`, met: x.previewMs.p95 < 5000 });
  }
  if (r.memory) {
    const per = r.memory.desk.perCachedMb;
    t.push({ name: 'RSS per cached open exception', target: '≤ 0.5 MB', observed: `${f(per, 3)} MB`, met: per <= 0.5 });
  }
  if (r.calendar) {
    const { micro, cost } = r.calendar;
    t.push({ name: 'calendar: 90-day window of working time', target: '< 50 µs per call', observed: `${f(micro.addUs, 2)} µs (fresh calendar ${f(micro.freshCalendarUs, 2)} µs)`, met: micro.addUs < 50 && micro.crossesDst });
    t.push({ name: 'calendar: lifecycle throughput, on vs off', target: 'within 5 %', observed: `${f(cost.costPercent)} % (${f(cost.on.perSecond)}/s on, ${f(cost.off.perSecond)}/s off)`, met: cost.costPercent < 5 });
  }
  if (r.escalation) {
    const e = r.escalation.desk;
    t.push({ name: 'escalation lateness p99', target: '≤ 1 s, none early', observed: `${f(e.lateness.p99)} ms, ${e.early} early`, met: e.lateness.p99 <= 1000 && e.early === 0 && e.escalated === e.exceptions });
  }
  return t;
}

/** The stdout table: one row per figure, exception-desk beside bare Temporal. */
export function table(r: Results): string {
  const rows: string[][] = [['figure', 'exception-desk', 'bare Temporal', 'ratio']];
  if (r.lifecycle) {
    const { desk, bare } = r.lifecycle;
    rows.push([`lifecycle/s (n=${desk.items}, c=${desk.concurrency})`, f(desk.perSecond), f(bare.perSecond), `${f(r.lifecycle.ratio, 2)}x`]);
    rows.push(['history events per lifecycle', f(r.lifecycle.history.desk.avgEvents), f(r.lifecycle.history.bare.avgEvents), `${f(ratio(r.lifecycle.history.desk.avgEvents, r.lifecycle.history.bare.avgEvents), 2)}x`]);
  }
  if (r.metricsCost) {
    const { on, off, costPercent } = r.metricsCost;
    rows.push([`lifecycle/s metrics on / off (n=${on.items} each)`, `${f(on.perSecond)} / ${f(off.perSecond)}`, 'n/a', `cost ${f(costPercent)} %`]);
  }
  for (const [label, pair] of [
    ['claim ms p50/p95/p99 warm', r.claimLatency.warm],
    ['claim ms p50/p95/p99 evicted', r.claimLatency.evicted],
  ] as const) {
    if (pair) rows.push([`${label} (n=${pair.desk.count})`, pct(pair.desk), pct(pair.bare), `${f(ratio(pair.desk.p99, pair.bare.p99), 2)}x p99`]);
  }
  if (r.intake) {
    const { single, batch } = r.intake;
    rows.push([`intake/s single (c=${single.desk.concurrency})`, f(single.desk.perSecond), f(single.bare.perSecond), `${f(ratio(single.desk.perSecond, single.bare.perSecond), 2)}x`]);
    rows.push([`intake/s batch of ${batch.desk.batchSize}`, f(batch.desk.perSecond), f(batch.bare.perSecond), `${f(ratio(batch.desk.perSecond, batch.bare.perSecond), 2)}x`]);
  }
  if (r.listing) {
    for (const q of r.listing.queries) {
      rows.push([`list ms p50/p95 ${q.name} @${r.listing.open} open`, `${f(q.desk.p50)} / ${f(q.desk.p95)}`, q.bare ? `${f(q.bare.p50)} / ${f(q.bare.p95)}` : 'n/a', `${f(ratio(q.desk.p95, q.bare?.p95 ?? NaN), 2)}x p95`]);
    }
  }
  if (r.memory) {
    const { desk, bare } = r.memory;
    rows.push([`RSS MB per cached workflow (${desk.cachedDelta} / ${bare.cachedDelta})`, f(desk.perCachedMb, 3), f(bare.perCachedMb, 3), `${f(ratio(desk.perCachedMb, bare.perCachedMb), 2)}x`]);
  }
  if (r.escalation) {
    const { desk, bare } = r.escalation;
    rows.push([`timer lateness ms p50/p99 (${desk.escalated}/${desk.exceptions} fired)`, `${f(desk.lateness.p50)} / ${f(desk.lateness.p99)}`, `${f(bare.lateness.p50)} / ${f(bare.lateness.p99)}`, `${desk.early} / ${bare.early} early`]);
  }
  for (const level of r.sweep) {
    rows.push([
      `sweep c=${level.concurrency} lifecycle/s (errors)`,
      `${f(level.desk.perSecond)} (${level.desk.errors.count})`,
      `${f(level.bare.perSecond)} (${level.bare.errors.count})`,
      `${f(ratio(level.desk.perSecond, level.bare.perSecond), 2)}x`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function writeJson(dir: string, r: Results): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${r.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}

const BEGIN = '<!-- bench:begin (generated by `npm run bench`; edits inside are overwritten) -->';
const END = '<!-- bench:end -->';

/** The generated part of docs/benchmarks.md. */
export function markdown(r: Results, jsonFile: string): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`Measured ${r.finishedAt.slice(0, 10)} (${r.startedAt} → ${r.finishedAt}, ${f(r.totalSeconds / 60)} min) with \`${r.command}\`.`);
  out.push('');
  out.push(`Machine: ${m.cpus} cores (${m.cpuModel}), ${f(m.memoryGiB)} GiB memory, ${m.platform}, Node ${m.node}, Temporal CLI ${m.temporalCli}. Load average (1/5/15 min) ${m.loadAvgAtStart.map((x) => f(x, 2)).join(' ')} at the start, ${m.loadAvgAtEnd.map((x) => f(x, 2)).join(' ')} at the end. Raw results: \`${jsonFile}\`.`);
  out.push('');
  out.push('### Targets');
  out.push('');
  out.push('| figure | target | observed | met |');
  out.push('|---|---|---|---|');
  for (const t of r.targets) out.push(`| ${t.name} | ${t.target} | ${t.observed} | ${t.met ? 'yes' : '**no**'} |`);
  out.push('');
  out.push('### Figures (exception-desk beside bare Temporal, same run, same server, same worker settings)');
  out.push('');
  out.push('```');
  out.push(table(r));
  out.push('```');
  out.push('');
  if (r.lifecycle) {
    const { desk, bare, history } = r.lifecycle;
    out.push(
      `**Lifecycle.** ${desk.completed}/${desk.items} exceptions through intake, claim and resolve over HTTP with ${desk.concurrency} in flight in ${f(desk.seconds)} s: ` +
        `${f(desk.perSecond)}/s. Bare: start + two updates + result through the client, ${f(bare.perSecond)}/s. ` +
        `Run in ${r.lifecycle.rounds[0]!.length} alternating rounds (exception-desk ${r.lifecycle.rounds[0]!.join(', ')}/s; bare ${r.lifecycle.rounds[1]!.join(', ')}/s). ` +
        `History: ${f(history.desk.avgEvents)} events per exception (sample of ${history.desk.sampled}, ${history.desk.min}–${history.desk.max}) vs ${f(history.bare.avgEvents)} bare.`,
    );
    out.push('');
  }
  if (r.metricsCost) {
    const m = r.metricsCost;
    out.push(
      `**Metrics cost.** The lifecycle above, ${m.on.completed}/${m.on.items} through the API and worker every figure uses (metrics on, \`/metrics\` scraped every ${m.scrapes.everyMs / 1000} s: ` +
        `${m.scrapes.count} scrapes, ${m.scrapes.failed} failed, ${f(m.scrapes.meanMs)} ms each), ${f(m.on.perSecond)}/s; and ${m.off.completed}/${m.off.items} through a second API and worker ` +
        `started beside them with \`METRICS=off\`, ${f(m.off.perSecond)}/s: metrics cost ${f(m.costPercent)} % of lifecycle throughput. ` +
        `${m.rounds.on.length} rounds each, alternating which went first (on ${m.rounds.on.join(', ')}/s; off ${m.rounds.off.join(', ')}/s; cost per round ${m.roundCosts.join(', ')} %). ` +
        `Bench-process CPU per lifecycle: ${f(m.cpuMsPerLifecycle.on)} ms on, ${f(m.cpuMsPerLifecycle.off)} ms off. Not in the difference: Node's process metrics, which start with the first ` +
        'API with metrics on and then serve the whole process, and the Temporal SDK\'s runtime metrics, which the bench installs on neither side.',
    );
    out.push('');
  }
  if (r.memory) {
    const { desk, bare } = r.memory;
    out.push(
      `**Memory.** With both workers restarted with maxCachedWorkflows ${Number(r.params.memTarget) + 1000}, RSS went ${f(desk.before.rssMb)} → ${f(desk.after.rssMb)} MB while the worker cache ` +
        `grew by ${desk.cachedDelta} open exceptions (the last ones raised, reaching ${desk.openAtMeasurement} open in the ledger): ${f(desk.perCachedMb, 3)} MB each` +
        `${desk.stoppedEarly ? ` (${desk.stoppedEarly})` : ''}. Main-thread heapUsed meanwhile went ${f(desk.before.heapUsedMb)} → ${f(desk.after.heapUsedMb)} MB. ` +
        `Bare workflows parked on their first update: ${f(bare.before.rssMb)} → ${f(bare.after.rssMb)} MB for ${bare.cachedDelta}: ${f(bare.perCachedMb, 3)} MB each. ` +
        `Batch intake while this cache filled: ${f(r.memory.intake?.perSecond)}/s. Method: ${r.memory.method}`,
    );
    out.push('');
  }
  if (r.intake) {
    const { single, batch } = r.intake;
    out.push(
      `**Intake.** Single: ${single.desk.completed} POST /api/v1/exceptions with ${single.desk.concurrency} in flight, ${f(single.desk.perSecond)}/s, ` +
        `beside bare update-with-start at the same concurrency, ${f(single.bare.perSecond)}/s. Batch: ${batch.desk.completed} through POST /api/v1/exceptions:batch ` +
        `in batches of ${batch.desk.batchSize}, one request at a time, on the npm start worker settings${r.params.workflowThreadOldSpaceMb ? ` except the workflow thread's V8 old-space limit, raised to ${r.params.workflowThreadOldSpaceMb} MB` : ''}, ${f(batch.desk.perSecond)}/s` +
        `${batch.desk.errors.count ? ` (${batch.desk.errors.count} failed: ${batch.desk.errors.top.map((e) => `${e.count}× ${e.text.slice(0, 160)}`).join('; ')})` : ''}; ` +
        `the handler raises 32 items at a time, so the baseline is ${batch.bare.completed} bare update-with-start calls 32 at a time, ${f(batch.bare.perSecond)}/s.`,
    );
    out.push('');
  }
  if (r.listing) {
    out.push(
      `**Listing.** ${r.listing.samples} sequential GETs per filter at ${r.listing.open} open (${r.listing.rowsInLedger} rows in the ledger), first page of 50. ` +
        'Baseline: the same filter as a Temporal visibility query (ListWorkflowExecutions, page of 50) on the search attributes the workflows upsert; visibility cannot sort by deadline.',
    );
    out.push('');
    out.push('| filter | items | exception-desk p50/p95 ms | visibility p50/p95 ms |');
    out.push('|---|---|---|---|');
    for (const q of r.listing.queries) out.push(`| \`${q.query}\` | ${q.items} | ${f(q.desk.p50)} / ${f(q.desk.p95)} | ${q.bare ? `${f(q.bare.p50)} / ${f(q.bare.p95)}` : 'n/a'} (\`${q.visibilityQuery}\`) |`);
    out.push('');
  }
  if (r.escalation) {
    const { desk, bare } = r.escalation;
    out.push(
      `**Escalation timers.** ${desk.exceptions} exceptions with a ${r.escalation.slaSeconds} s claim SLA and one escalation step ${r.escalation.stepAfterSeconds} s after it, ` +
        `raised through the batch endpoint 100 at a time over ${f(desk.intakeSeconds)} s; after each batch as many bare timer workflows (due after the same ` +
        `${r.escalation.slaSeconds + r.escalation.stepAfterSeconds} s) started, so both saw the same arrival rate and load. ${desk.escalated} escalated. Lateness (escalated event \`at\` − \`detail.dueAt\`) ` +
        `p50 ${f(desk.lateness.p50)} ms, p99 ${f(desk.lateness.p99)} ms, max ${f(desk.lateness.max)} ms; early firings: ${desk.early}. ` +
        `Bare timer workflows (${bare.fired}): p50 ${f(bare.lateness.p50)} ms, p99 ${f(bare.lateness.p99)} ms, early ${bare.early}.`,
    );
    out.push('');
  }
  const cpuRows: Array<[string, Throughput | undefined]> = [
    ['lifecycle, exception-desk', r.lifecycle?.desk],
    ['lifecycle, bare', r.lifecycle?.bare],
    ['lifecycle, metrics on', r.metricsCost?.on],
    ['lifecycle, metrics off', r.metricsCost?.off],
    ['single intake, exception-desk', r.intake?.single.desk],
    ['single intake, bare', r.intake?.single.bare],
    ['batch intake, exception-desk', r.intake?.batch.desk],
    ['update-with-start 32 at a time, bare', r.intake?.batch.bare],
    ...r.sweep.flatMap((l): Array<[string, Throughput]> => [
      [`sweep ${l.concurrency}, exception-desk`, l.desk],
      [`sweep ${l.concurrency}, bare`, l.bare],
    ]),
  ];
  if (cpuRows.some(([, t]) => t?.cpu)) {
    out.push('**Where the CPU went** (cores used over the phase; the machine has ' + m.cpus + '; main-thread ELU 1.0 = the event loop never idles):');
    out.push('');
    out.push('| phase | rate /s | dev server cores | bench process cores | other processes cores | main-thread ELU |');
    out.push('|---|---|---|---|---|---|');
    for (const [label, t] of cpuRows) {
      if (t?.cpu) out.push(`| ${label} | ${f(t.perSecond)} | ${f(t.cpu.serverCores, 2)} | ${f(t.cpu.benchCores, 2)} | ${f(t.cpu.otherCores, 2)} | ${f(t.cpu.mainThreadElu, 2)} |`);
    }
    out.push('');
  }
  if (r.sweep.length) {
    out.push('**Concurrency sweep** (full lifecycles; errors are failed lifecycles):');
    out.push('');
    out.push('| in flight | exception-desk /s | errors | bare /s | errors | overload texts seen |');
    out.push('|---|---|---|---|---|---|');
    for (const l of r.sweep) {
      const texts = [...l.desk.errors.top, ...l.bare.errors.top].map((e) => `${e.count}× ${e.text}`);
      out.push(
        `| ${l.concurrency} | ${f(l.desk.perSecond)} | ${l.desk.errors.count} | ${f(l.bare.perSecond)} | ${l.bare.errors.count} | ${
          l.overloadTexts.length ? l.overloadTexts.map((t) => `\`${t.replace(/\|/g, '/').slice(0, 160)}\``).join('<br>') : 'none'
        }${texts.length ? `<br>errors: ${texts.map((t) => t.replace(/\|/g, '/').slice(0, 160)).join('<br>')}` : ''} |`,
      );
    }
    out.push('');
  }
  out.push(`**Overload texts** (ShardIOTimeout, deadline exceeded, timeouts) in errors and logs: ${r.overloadTexts.length ? r.overloadTexts.map((t) => `\`${t.slice(0, 200)}\``).join('; ') : 'none'}.`);
  out.push('');
  if (r.logSummary.length) {
    out.push('**Warnings and errors logged** during the run (API, worker, SDK core; most frequent first):');
    out.push('');
    out.push('| count | text |');
    out.push('|---|---|');
    for (const l of r.logSummary.slice(0, 10)) out.push(`| ${l.count} | \`${l.text.replace(/\|/g, '/').slice(0, 240)}\` |`);
    out.push('');
  }
  if (r.serverLogSummary.length) {
    out.push('**Temporal dev server warnings and errors** during the run (its own log, grouped by message and error):');
    out.push('');
    out.push('| count | text |');
    out.push('|---|---|');
    for (const l of r.serverLogSummary.slice(0, 10)) out.push(`| ${l.count} | \`${l.text.replace(/\|/g, '/').slice(0, 240)}\` |`);
    out.push('');
  }
  return out.join('\n');
}

const SKELETON = `# Benchmarks

\`npm run bench\` starts its own Temporal dev server (file-backed SQLite, the same pragmas as \`npm start\`),
the real worker and the API on free ports in a temp dir, and measures each figure beside a bare-Temporal
baseline run in the same process against the same server with the same worker settings.
\`npm run bench -- --quick\` is a smoke check (under a minute); \`--large\` lists at 100k open; \`--n\` sets the lifecycle count.

## Latest full run

${BEGIN}
${END}
`;

/** A generated block of docs/benchmarks.md: its markers and the heading it goes under when first written. */
export interface DocsSection {
  begin: string;
  end: string;
  heading: string;
}

const LATEST_RUN: DocsSection = { begin: BEGIN, end: END, heading: 'Latest full run' };

/** Rewrites one generated block of docs/benchmarks.md (the dev-server run's by default), keeping everything outside it. */
export function updateDocs(file: string, block: string, section: DocsSection = LATEST_RUN): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : SKELETON;
  const start = text.indexOf(section.begin);
  const end = text.indexOf(section.end);
  const base = start >= 0 && end > start ? text : `${text.trimEnd()}\n\n## ${section.heading}\n\n${section.begin}\n${section.end}\n`;
  const s = base.indexOf(section.begin);
  const e = base.indexOf(section.end);
  writeFileSync(file, `${base.slice(0, s + section.begin.length)}\n${block}\n${base.slice(e)}`);
}
