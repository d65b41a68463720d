import type { Role } from '../principal.js';

/**
 * No role escalation: a caller grants or removes only roles it holds, and only an admin makes (or
 * unmakes, changes, departs) an admin. Otherwise a manager could mint an admin, or lock one out by
 * marking them departed. Scope is checked apart, from the person's cells and open work.
 * Returns why the change is refused, or null.
 */
export function checkPersonChange(
  caller: { roles: readonly Role[] },
  person: { id: string; roles: readonly Role[] } | null,
  after: { roles: readonly Role[] } | null,
): string | null {
  if (caller.roles.includes('admin')) return null;
  if (person?.roles.includes('admin')) return `${person.id} is an admin: only an admin changes an admin's record or starts their departure.`;
  if (!after) return null;
  const before = new Set(person?.roles ?? []);
  const now = new Set(after.roles);
  const changed = [...new Set([...before, ...now])].filter((r) => before.has(r) !== now.has(r));
  if (changed.includes('admin')) return 'Only an admin grants the admin role.';
  const notHeld = changed.filter((r) => !caller.roles.includes(r));
  if (notHeld.length === 0) return null;
  return `You may grant or take away only roles you hold (${caller.roles.join(', ') || 'none'}); this changes ${notHeld.join(', ')}.`;
}
