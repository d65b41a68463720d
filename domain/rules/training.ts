import type { Role } from '../principal.js';

/**
 * Training per person (issue 17, the operating model's training): which of a region's materials a
 * person must have done for the roles they hold, and what is still missing. One rule for the API's
 * status view and its tests.
 */
/** Who worked the queue, for the training page and the readiness criterion: a claim within this many days. */
export const WORKED_WITHIN_DAYS = 30;

export interface Material {
  id: string;
  requiredFor: readonly Role[];
}

export interface Trainee {
  person: string;
  roles: readonly string[];
  /** Why they count in the region: an area they own or back up, an escalation step, or the queue they work. */
  because: readonly string[];
}

export interface Completion {
  person: string;
  material: string;
  at: number;
}

export interface TraineeStatus extends Trainee {
  required: string[];
  completed: Array<{ material: string; at: number }>;
  missing: string[];
}

/** The materials a person with these roles must have done (an admin counts for no role of its own). */
export function requiredMaterials(materials: readonly Material[], roles: readonly string[]): string[] {
  return materials.filter((m) => m.requiredFor.some((role) => roles.includes(role))).map((m) => m.id);
}

/** Each trainee's required, completed (of those required) and missing materials, and the region's totals. */
export function trainingStatus(materials: readonly Material[], trainees: readonly Trainee[], completions: readonly Completion[]) {
  const done = new Map<string, number>();
  for (const c of completions) done.set(`${c.person}\u0000${c.material}`, c.at);
  const people: TraineeStatus[] = trainees.map((t) => {
    const required = requiredMaterials(materials, t.roles);
    const completed = required.flatMap((material) => {
      const at = done.get(`${t.person}\u0000${material}`);
      return at === undefined ? [] : [{ material, at }];
    });
    const finished = new Set(completed.map((c) => c.material));
    return { ...t, required, completed, missing: required.filter((m) => !finished.has(m)) };
  });
  const required = people.reduce((n, p) => n + p.required.length, 0);
  const completed = people.reduce((n, p) => n + p.completed.length, 0);
  return {
    people,
    totals: { people: people.length, fullyTrained: people.filter((p) => p.missing.length === 0).length, required, completed, share: required === 0 ? 1 : completed / required },
  };
}

/** The readiness criterion's facts (domain/rules/readiness.ts `training`): the totals and the first gap, named. */
export function trainingFacts(materials: readonly Material[], trainees: readonly Trainee[], completions: readonly Completion[]) {
  const { people, totals } = trainingStatus(materials, trainees, completions);
  const first = people.find((p) => p.missing.length > 0);
  return { people: totals.people, fullyTrained: totals.fullyTrained, required: totals.required, completed: totals.completed, firstMissing: first ? `${first.person} (${first.missing.join(', ')})` : null };
}
