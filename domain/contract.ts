import type { ExceptionType, FieldSpec } from './capability.js';
import { durationMs, formatDuration } from './duration.js';

export type PayloadError = { path: string; message: string };

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// Date-times must carry an offset: without one their age, and so their freshness, is ambiguous.
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const DATE_HINT = 'expected an ISO 8601 date (2025-03-31) or date-time with offset (2025-03-31T14:00:00Z)';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value.length > 60 ? `'${value.slice(0, 57)}...'` : `'${value}'`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function realCalendarDay(year: string, month: string, day: string): boolean {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day);
}

/** Epoch ms of an ISO date (midnight UTC) or date-time, or undefined if it is not one. */
function parseIsoDate(value: string): number | undefined {
  const parts = ISO_DATE.exec(value) ?? ISO_DATE_TIME.exec(value);
  if (!parts || !realCalendarDay(parts[1] ?? '', parts[2] ?? '', parts[3] ?? '')) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function range(value: number, spec: { min?: number | undefined; max?: number | undefined }): string[] {
  const errors: string[] = [];
  if (spec.min !== undefined && value < spec.min) errors.push(`is ${value}; must be at least ${spec.min}`);
  if (spec.max !== undefined && value > spec.max) errors.push(`is ${value}; must be at most ${spec.max}`);
  return errors;
}

function violations(spec: FieldSpec, value: unknown, now: Date): string[] {
  switch (spec.type) {
    case 'string': {
      if (typeof value !== 'string') return [`expected a string, got ${describe(value)}`];
      const errors: string[] = [];
      if (spec.maxLength !== undefined && value.length > spec.maxLength) {
        errors.push(`is ${value.length} characters long; at most ${spec.maxLength} allowed`);
      }
      if (spec.pattern !== undefined && !new RegExp(spec.pattern).test(value)) errors.push(`'${value}' does not match ${spec.pattern}`);
      return errors;
    }
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return [`expected a number, got ${describe(value)}`];
      return range(value, spec);
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return [`expected an integer, got ${describe(value)}`];
      return range(value, spec);
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`expected true or false, got ${describe(value)}`];
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value)
        ? []
        : [`${describe(value)} is not one of ${spec.values.join(', ')}`];
    case 'date': {
      const at = typeof value === 'string' ? parseIsoDate(value) : undefined;
      if (at === undefined) return [`${DATE_HINT}, got ${describe(value)}`];
      if (spec.maxAge === undefined) return [];
      const age = now.getTime() - at;
      return age > durationMs(spec.maxAge) ? [`is stale: ${formatDuration(age)} old; must be at most ${spec.maxAge} old`] : [];
    }
  }
}

/**
 * Checks a raised exception's payload against its type's contract plus the region's local fields (always optional).
 * Every violation is reported; fields the contract does not name are allowed, since upstream systems send more.
 * A null value counts as absent.
 */
export function checkPayload(
  type: ExceptionType,
  localFields: Record<string, FieldSpec> | undefined,
  payload: unknown,
  now: Date,
): PayloadError[] {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return [{ path: 'payload', message: `payload must be an object of field values, got ${describe(payload)}` }];
  }
  const fields: Array<[string, FieldSpec, boolean]> = [
    ...Object.entries(type.contract.fields).map(([name, spec]): [string, FieldSpec, boolean] => [name, spec, spec.required]),
    ...Object.entries(localFields ?? {})
      .filter(([name]) => !Object.hasOwn(type.contract.fields, name))
      .map(([name, spec]): [string, FieldSpec, boolean] => [name, spec, false]),
  ];
  return fields.flatMap(([name, spec, required]) => {
    const value = Object.hasOwn(payload, name) ? (payload as Record<string, unknown>)[name] : undefined;
    const messages = value === undefined || value === null ? (required ? ['required field is missing'] : []) : violations(spec, value, now);
    return messages.map((message) => ({ path: `payload.${name}`, message }));
  });
}
