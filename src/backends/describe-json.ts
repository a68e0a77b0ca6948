import {
  assemblePlan,
  describeUnits,
  type PlanParts,
  type PlanTail,
  type PlanUnit,
  savedHead,
} from '../planner/plan.js';

/** Where the units go in a plan's JSON with none. */
const NO_UNITS = '\n  "units": []';
const NOTHING_YET: PlanTail = { skipped: [], tools: [], secrets: [], warnings: [] };

/**
 * The plan as JSON, the same bytes as `JSON.stringify(plan, null, 2)`, written one unit at a time
 * as each is planned: the keys before the units, each unit, then the keys after them. (A newline
 * and two spaces only ever start a key of the plan itself: JSON escapes newlines in strings.)
 */
export function* jsonPieces(parts: PlanParts): Generator<string> {
  const head = savedHead(parts.head);
  const before = JSON.stringify(assemblePlan(head, [], NOTHING_YET), null, 2);
  yield before.slice(0, before.indexOf(NO_UNITS));
  let count = 0;
  const tail = yield* describeUnits(
    parts,
    (unit) => `${count++ === 0 ? '\n  "units": [\n' : ',\n'}${indented(unit)}`,
  );
  const after = JSON.stringify(assemblePlan(head, [], tail), null, 2);
  yield `${count === 0 ? NO_UNITS : '\n  ]'}${after.slice(after.indexOf(NO_UNITS) + NO_UNITS.length)}\n`;
}

function indented(unit: PlanUnit): string {
  return `    ${JSON.stringify(unit, null, 2).replaceAll('\n', '\n    ')}`;
}
