import { ResponsibilityArea } from './capability.js';
import { findGapsIn, type GapFinding, type GapInputs } from './rules/gaps.js';

export { cellGaps, GapKind, type CellGap, type GapCell, type GapFinding, type GapInputs } from './rules/gaps.js';

/** Every ownership gap the data implies, over every responsibility area (the rules: domain/rules/gaps.ts). */
export function findGaps(input: GapInputs): GapFinding[] {
  return findGapsIn(input, ResponsibilityArea.options);
}
