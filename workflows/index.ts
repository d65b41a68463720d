// The workflow bundle's entry point: every workflow the worker registers.
export { departureWorkflow } from './departure/workflow.js';
export { exceptionWorkflow } from './exception/workflow.js';
export { ownershipMatrixWorkflow } from './ownership/workflow.js';
export { peopleDirectoryWorkflow } from './people/workflow.js';
export { readinessDailyWorkflow } from './readiness/workflow.js';
export { selfCheckWorkflow } from './system/workflow.js';
export { decisionWorkflow } from './decision/workflow.js';
export { decisionTriggersWorkflow } from './decision/triggers.js';
export { attestationWorkflow } from './attestation/workflow.js';
export { calendarBroadcastWorkflow } from './calendar/workflow.js';
