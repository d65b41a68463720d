import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type Month } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AttestationScheduleEntry } from '../config/index.js';
import { durationMs } from '../domain/duration.js';
import { attestationWorkflow } from '../workflows/attestation/workflow.js';

const PREFIX = 'attestation-quarterly:';
export const attestationScheduleId = (capability: string) => `${PREFIX}${capability}`;

/**
 * ATTESTATION_SCHEDULE: one Temporal Schedule per capability named, which starts an attestation
 * campaign over every rolled-out region at 09:00 UTC on the first day of each quarter. A schedule this
 * setting no longer names is deleted, so removing a capability from it stops its campaigns.
 */
export async function ensureAttestationSchedules(client: Client, taskQueue: string, entries: AttestationScheduleEntry[], logger: Logger): Promise<void> {
  const spec = { calendars: [{ month: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'] as Month[], dayOfMonth: 1, hour: 9, comment: 'the first day of each quarter, 09:00 UTC' }] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' };
  for (const entry of entries) {
    const scheduleId = attestationScheduleId(entry.capability);
    const action = {
      type: 'startWorkflow' as const,
      workflowType: attestationWorkflow,
      // Each run's workflow id is this plus its scheduled time: the campaign's id.
      workflowId: `attestation:${entry.capability}:quarterly`,
      taskQueue,
      args: [{ capability: entry.capability, regions: [], startedBy: 'system:schedule', withinMs: durationMs(entry.within), remindBeforeMs: durationMs(entry.remindBefore) }] as Parameters<typeof attestationWorkflow>,
    };
    try {
      await client.schedule.create({ scheduleId, spec, action, policies });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
    }
  }
  const wanted = new Set(entries.map((e) => attestationScheduleId(e.capability)));
  for await (const schedule of client.schedule.list()) {
    if (schedule.scheduleId.startsWith(PREFIX) && !wanted.has(schedule.scheduleId)) await client.schedule.getHandle(schedule.scheduleId).delete();
  }
  logger.debug({ schedules: [...wanted] }, 'attestation schedules in place');
}
