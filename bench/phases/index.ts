// Every benchmark phase, one file each; bench/run.ts and bench/report.ts import from here.
export { combine, deskBatchIntake, openCount, summary, type Ctx, type ErrorSummary, type LoadCtx, type Throughput } from './shared.js';
export { bareLifecycle, deskLifecycle, historyLength } from './lifecycle.js';
export { claimLatency, type LatencyPair } from './claim.js';
export { bareBatchAnalogue, batchIntake, singleIntake, type IntakeResult } from './intake.js';
export { fillOpen, MEMORY_METHOD, type MemoryResult, type MemorySample } from './memory.js';
export { listings, type ListingResult } from './listing.js';
export { escalationLateness, type LatenessResult } from './escalation.js';
export { metricsCost, SCRAPE_EVERY_MS, type MetricsCostResult } from './metrics-cost.js';
export { BENCH_CALENDAR, calendarCost, calendarMicro, type CalendarCostResult, type CalendarMicroResult } from './calendar.js';
export { templatePhase, type TemplatePhaseResult } from './templates.js';
