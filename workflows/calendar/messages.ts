import { defineSignal } from '@temporalio/workflow';
import type { WorkCalendar } from '../../domain/rules/calendar.js';

/**
 * The calendar broadcast's contract (imported by the API and the worker): a region's business calendar
 * was saved, and its open exceptions must hear it. One workflow per capability and region takes the
 * saves in order, so two quick changes can never reach an exception in the wrong order.
 */
export interface CalendarSaved {
  /** The region's calendar now; null: 24x7. */
  calendar: WorkCalendar | null;
  actor: string;
  reason: string;
}

export interface CalendarBroadcastInput {
  capability: string;
  region: string;
  /** A save not yet broadcast, carried across continue-as-new. */
  carried?: CalendarSaved;
}

export const calendarSaved = defineSignal<[CalendarSaved]>('calendarSaved');

export const calendarBroadcastId = (capability: string, region: string) => `calendar-broadcast:${capability}:${region}`;
