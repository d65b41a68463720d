import type { SlaPolicy } from '../domain/capability.js';
import type { Route } from '../domain/rules/exception.js';
import type { ExceptionInput } from '../workflows/exception/messages.js';

/** One PO exception's input and route, for the tests that run ExceptionCase without Temporal. */
export const testRoute: Route = { owner: 'priya', ownerSource: 'owner', backup: 'li', escalation: ['dana'], managerOfOwner: 'grace', matrixVersion: 1 };

export function exceptionInput(policy: SlaPolicy): ExceptionInput {
  return {
    id: 'exception:po-test:PO-1',
    intakeId: 'intake-1',
    capability: 'po-test',
    region: 'NA',
    type: 'price-variance',
    area: 'exception-queue',
    severity: 'high',
    title: 'Price variance on PO-1',
    confidence: 0.4,
    sourceRefs: [],
    qualityChecks: [],
    policy,
    valueEvents: ['rework-avoided'],
    webhook: null,
    raisedBy: 'erp',
  };
}
