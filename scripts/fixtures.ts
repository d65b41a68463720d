/** Dev fixtures. The price-variance intake is the demo's own, so that the launcher imports no dev fixture. */
export { priceVarianceIntake } from '../server/demo-exceptions.js';
/** The demo's people, rollouts and matrix (before and after the pilot team leaves), for tests that rehearse against it. */
export { demoCells, demoLeavers, demoPeople, demoRefills, demoRollouts } from '../server/demo.js';
