import { randomUUID } from 'node:crypto';
import type { UpdateDefinition } from '@temporalio/common';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { workCalendar } from '../../domain/rules/calendar.js';
import { dataDigest } from '../../domain/rules/digest.js';
import { exceptionId, ExceptionIntake, isClosed, type Actor } from '../../domain/exception.js';
import { checkIntake } from '../../domain/intake.js';
import type { Principal } from '../../domain/principal.js';
import { getCapability, getEffectiveTemplate, listCapabilities, listRollouts } from '../../ledger/catalog.js';
import { MAX_NESTING, nestingDepth } from '../../ledger/bounded-json.js';
import type { LedgerDb } from '../../ledger/db.js';
import { getExceptionDetail, getExceptionState, quarantine } from '../../ledger/exceptions.js';
import { confirmReceipt } from '../../ledger/confirmation.js';
import { readRoute } from '../../ledger/route.js';
import { getVersion } from '../../ledger/template-versions.js';
import { ExceptionCapability, ExceptionRegion, ExceptionSeverity } from '../../workflows/search-attributes.js';
import * as msg from '../../workflows/exception/messages.js';
import { exceptionWorkflow } from '../../workflows/exception/workflow.js';
import { AppError, fieldErrors, fromTemporal, grpcCode } from '../errors.js';
import { assertScope } from '../scope.js';
import { exceptionView, type ExceptionView } from '../views.js';
import type { TemporalDeps } from './temporal.js';

export type ExceptionDeps = TemporalDeps & { ledger: LedgerDb };

/** Early warnings when a policy declares none: at half and three quarters of the claim and resolve windows. */
export const DEFAULT_WARN_AT = [50, 75];

/** A refused intake is kept in the quarantine before the caller hears the refusal. */
async function refuse(deps: ExceptionDeps, principal: Principal, body: unknown, error: AppError): Promise<never> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : undefined);
  const id = await quarantine(deps.ledger, {
    actor: principal.sub,
    capability: text(b.capability),
    region: text(b.region),
    type: text(b.type),
    sourceKey: text(b.sourceKey),
    reasons: error.extra.errors ?? [{ path: '(root)', message: error.message }],
    body,
    at: Date.now(),
  });
  error.extra.quarantineId = id;
  throw error;
}

/**
 * Intake: the envelope, the region's rollout and the type's input contract are checked here; the
 * workflow ID `exception:<capability>:<sourceKey>` makes duplicates return the existing exception.
 */
export async function raiseException(deps: ExceptionDeps, principal: Principal, body: unknown): Promise<{ created: boolean; state: msg.ExceptionState }> {
  const parsed = ExceptionIntake.safeParse(body);
  if (!parsed.success) return refuse(deps, principal, body, new AppError('BAD_REQUEST', 'The intake envelope is invalid.', { errors: fieldErrors(parsed.error) }));
  const intake = parsed.data;
  if (nestingDepth(intake.payload, MAX_NESTING) > MAX_NESTING) {
    return refuse(deps, principal, body, new AppError('BAD_REQUEST', `The payload nests deeper than ${MAX_NESTING} levels.`, {
      errors: [{ path: 'payload', message: `nested deeper than ${MAX_NESTING} levels` }],
    }));
  }
  assertScope(principal, intake.capability, intake.region);

  const effective = await getEffectiveTemplate(deps.ledger, intake.capability, intake.region);
  if (!effective) {
    const capability = await getCapability(deps.ledger, intake.capability);
    if (!capability) {
      const known = (await listCapabilities(deps.ledger)).map((c) => c.id);
      return refuse(deps, principal, body, new AppError('UNPROCESSABLE', `Unknown capability ${intake.capability}; known: ${known.join(', ') || 'none'}.`, {
        errors: [{ path: 'capability', message: `unknown; known: ${known.join(', ') || 'none'}` }],
      }));
    }
    const known = (await listRollouts(deps.ledger, intake.capability)).map((r) => r.region);
    return refuse(deps, principal, body, new AppError('UNPROCESSABLE', `${intake.capability} is not rolled out to ${intake.region}; rolled out: ${known.join(', ') || 'none'}.`, {
      errors: [{ path: 'region', message: `not rolled out; known: ${known.join(', ') || 'none'}` }],
    }));
  }
  const checked = checkIntake(effective, intake, new Date());
  if (!checked.ok) return refuse(deps, principal, body, new AppError('UNPROCESSABLE', checked.message, { errors: checked.errors }));
  const { type, severity } = checked;

  const id = exceptionId(intake.capability, intake.sourceKey);
  const existing = await getExceptionState(deps.ledger, id);
  if (existing && isClosed(existing.status)) return { created: false, state: existing };

  const channel = effective.notifications.channel;
  // The route as the ledger has it now: the workflow surfaces to it without a lookup of its own (shape 3).
  const route = existing ? undefined : (await readRoute(deps.ledger, intake.capability, intake.region, type.area, null)).route;
  const policy = effective.slaPolicies[severity];
  const digest = dataDigest(intake.payload);
  const input: msg.ExceptionInput = {
    id,
    intakeId: randomUUID(),
    // Shape 4: clocks in the region's business calendar, early warnings, waiting on others.
    shape: 4,
    ...(route ? { route } : {}),
    capability: intake.capability,
    region: intake.region,
    type: type.id,
    area: type.area,
    severity,
    title: intake.title,
    confidence: intake.confidence ?? null,
    sourceRefs: intake.sourceRefs,
    qualityChecks: intake.qualityChecks,
    payload: intake.payload,
    // Warnings at 50 % and 75 % of each window unless the policy says otherwise.
    policy: { ...policy, warnAt: policy.warnAt ?? DEFAULT_WARN_AT },
    calendar: workCalendar(effective.timeZone, effective.businessCalendar, policy.calendar),
    dataDigest: digest,
    ...(deps.continueAsNewAfter !== undefined ? { continueAsNewAfter: deps.continueAsNewAfter } : {}),
    valueEvents: effective.valueEvents.map((v) => v.id),
    webhook: channel === 'none' ? null : channel.webhook,
    raisedBy: principal.sub,
    ...(effective.version ? { templateVersion: effective.version } : {}),
  };
  try {
    const outcome = await withBackoff(() => deps.client.workflow.executeUpdateWithStart(msg.intake, {
      args: [{ intakeId: input.intakeId, dataDigest: digest, at: Date.now() }],
      startWorkflowOperation: new WithStartWorkflowOperation(exceptionWorkflow, {
        workflowId: id,
        taskQueue: deps.taskQueue,
        args: [input],
        // Set at the start, so they cost no history event; the workflow writes no others (shape 3).
        typedSearchAttributes: [
          { key: ExceptionCapability, value: input.capability },
          { key: ExceptionRegion, value: input.region },
          { key: ExceptionSeverity, value: input.severity },
        ],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // A closed exception is never reopened by a late duplicate; it is returned as it stands.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
    }));
    await confirmAfterUpdate(deps, outcome);
    return { created: outcome.created === true, state: await readBack(deps, id, outcome.seq) };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError || err instanceof WorkflowNotFoundError) {
      const closed = await getExceptionState(deps.ledger, id);
      if (closed) return { created: false, state: closed };
    }
    throw fromTemporal(err);
  }
}

/**
 * The update happened whatever this answers: a confirmation the ledger cannot take now (busy past its
 * timeout) is left to the confirmer, which checks every unconfirmed row, rather than turned into a 500.
 */
async function confirmAfterUpdate(deps: ExceptionDeps, receipt: msg.Receipt): Promise<void> {
  await confirmReceipt(deps.ledger, receipt).catch(() => undefined);
}

/**
 * The exception as the ledger has it after a receipt. Read-your-writes: the workflow recorded the
 * transition before its update returned, so the row is at least at the receipt's seq.
 */
async function readBack(deps: ExceptionDeps, id: string, seq: number): Promise<msg.ExceptionState> {
  const state = await getExceptionState(deps.ledger, id);
  if (!state || state.seq < seq) throw new AppError('UNAVAILABLE', `The ledger has not caught up with ${id} (seq ${seq}); try again.`);
  return state;
}

/** The exception with its payload and recent comments, as the detail and every transition answer it. */
export async function exceptionDetailView(deps: ExceptionDeps, principal: Principal, id: string): Promise<ExceptionView> {
  const detail = await getExceptionDetail(deps.ledger, id);
  if (!detail) throw new AppError('NOT_FOUND', `No exception ${id}.`);
  assertScope(principal, detail.state.capability, detail.state.region);
  return exceptionView(detail.state, Date.now(), { ...detail, procedure: await procedureOf(deps.ledger, detail.state) });
}

/** The type's procedure as the version the exception was raised under has it, and the region's note beside it now. */
async function procedureOf(ledger: LedgerDb, s: msg.ExceptionState) {
  const current = await getEffectiveTemplate(ledger, s.capability, s.region);
  const raisedUnder = s.templateVersion === undefined ? current : (await getVersion(ledger, s.capability, s.templateVersion))?.template;
  const notes = current?.localNotes;
  const localNote = [notes?.exceptionTypes?.[s.type], notes?.general].filter(Boolean).join('\n\n') || null;
  return { templateVersion: s.templateVersion ?? null, markdown: raisedUnder?.exceptionTypes.find((t) => t.id === s.type)?.procedure ?? null, localNote };
}

/** The exception as the ledger has it (read-your-writes: every transition is recorded before it returns). */
export async function requireException(deps: ExceptionDeps, principal: Principal, id: string): Promise<msg.ExceptionState> {
  const state = await getExceptionState(deps.ledger, id);
  if (!state) throw new AppError('NOT_FOUND', `No exception ${id}.`);
  assertScope(principal, state.capability, state.region);
  return state;
}

export const actorOf = (principal: Principal): Actor => ({ id: principal.sub, roles: principal.roles });

/** Runs one transition update; a closed workflow answers 409 rather than 404. */
export async function transition<A>(
  deps: ExceptionDeps,
  principal: Principal,
  id: string,
  update: UpdateDefinition<msg.Receipt, [A]>,
  args: A,
): Promise<msg.Receipt> {
  const current = await requireException(deps, principal, id);
  if (isClosed(current.status)) throw new AppError('CONFLICT', `The exception is already ${current.status}.`, { exceptionStatus: current.status });
  try {
    // Stamped on each try: the transition's time is when the workflow was asked (decision 0010).
    const receipt = await withBackoff(() => deps.client.workflow.getHandle(id).executeUpdate(update, { args: [{ ...args, at: Date.now() } satisfies msg.Stamped as A] }));
    // The update returned, so history holds its transition: confirmed if the ledger's row is the one
    // history's attempt wrote (its digest), else handed to the confirmer (decision 0009).
    await confirmAfterUpdate(deps, receipt);
    return receipt;
  } catch (err) {
    const mapped = fromTemporal(err);
    if (mapped instanceof AppError && mapped.code === 'NOT_FOUND') {
      const after = await getExceptionState(deps.ledger, id);
      if (after && isClosed(after.status)) throw new AppError('CONFLICT', `The exception is already ${after.status}.`, { exceptionStatus: after.status });
    }
    throw mapped;
  }
}

/**
 * Worth another go, because the update never reached the workflow: gRPC RESOURCE_EXHAUSTED (more
 * updates in flight on one workflow than the server admits at once), FAILED_PRECONDITION (its workflow
 * task had failed, e.g. timed out on an overloaded worker), UNAVAILABLE ("workflow update was aborted"
 * while that task was retried), or the server's UnprocessedUpdate
 * rejection, which it gives when a worker completed the workflow task without handling the update
 * (seen with two workers under a claim burst, docs/reliability.md).
 */
function isBusy(err: unknown): boolean {
  const code = grpcCode(err);
  if (code === 8 || code === 9 || code === 14) return true;
  for (let e = err as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e instanceof ApplicationFailure && e.type === 'UnprocessedUpdate') return true;
  }
  return false;
}

/** A burst of claims on one exception can exceed the server's in-flight update limit; those retry briefly. */
async function withBackoff<T>(run: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!isBusy(err) || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 25 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}
