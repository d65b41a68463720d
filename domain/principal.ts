import { z } from 'zod';

export const Role = z.enum(['operator', 'owner', 'manager', 'admin', 'integration']);
export type Role = z.infer<typeof Role>;

/** A `capability:region` pair; `*` matches any capability or region. */
export const ScopeEntry = z.string().regex(/^([a-z0-9][a-z0-9-]*|\*):([A-Za-z0-9-]+|\*)$/);

/** Who is calling, taken from a verified token. The audit trail's actor is always `sub`. */
export const Principal = z.object({
  sub: z.string().min(1).max(200),
  name: z.string().max(200).optional(),
  roles: z.array(Role),
  /** Undefined means unrestricted; otherwise the capability:region pairs the caller may touch. */
  scope: z.array(ScopeEntry).optional(),
});
export type Principal = z.infer<typeof Principal>;

export function hasRole(principal: Principal, roles: readonly Role[]): boolean {
  return principal.roles.includes('admin') || roles.some((role) => principal.roles.includes(role));
}

export function inScope(principal: Principal, capability: string, region: string): boolean {
  if (!principal.scope) return true;
  return principal.scope.some((entry) => {
    const [cap, reg] = entry.split(':');
    return (cap === '*' || cap === capability) && (reg === '*' || reg === region);
  });
}
