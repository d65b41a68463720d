// The workflow bundle's entry point: every workflow the worker registers.
export { selfCheckWorkflow } from './system/workflow.js';
