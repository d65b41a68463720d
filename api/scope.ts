import { inScope, type Principal } from '../domain/principal.js';
import { AppError } from './errors.js';

/** 403 unless the token's scope covers the capability and region. */
export function assertScope(principal: Principal, capability: string, region: string): void {
  if (!inScope(principal, capability, region)) {
    throw new AppError('FORBIDDEN', `Your token's scope does not cover ${capability}:${region}.`);
  }
}

export function capabilityInScope(principal: Principal, capability: string): boolean {
  return !principal.scope || principal.scope.some((entry) => {
    const [cap] = entry.split(':');
    return cap === '*' || cap === capability;
  });
}
