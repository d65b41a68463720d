/** Dev fixtures. The price-variance intake is the demo's own, so that the launcher imports no dev fixture. */
export { priceVarianceIntake } from '../server/demo-exceptions.js';
