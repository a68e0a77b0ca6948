import { type HelperContract, rest, word } from '../graph/helper-contracts.js';
import { helperArgLines } from './helper-calls.js';

/**
 * The functions of the script's main part that register what the run is made of, one line each:
 * its units and its hooks. Apply holds the plan itself and has no twin of them; what the lines and
 * the functions share is the order of the arguments, kept here as helpers keep theirs
 * (graph/helper-contracts.ts): the lines are laid out from it with helperCall (bash/registration-lines.ts),
 * the functions read their arguments as it places them, and test/backends/helper-contracts.test.ts
 * checks both.
 */
export const REGISTRATIONS = {
  unit: {
    name: 'polyarchiv_unit',
    args: [
      word('id'),
      word('fn'),
      word('lock_file'),
      word('state_file'),
      word('planned_sha256'),
      word('on_success'),
      word('on_failure'),
      word('measure'),
      word('keep_aside'),
      rest('requires'),
    ],
    tools: [],
    statuses: { registered: 0 },
  },
  hook: {
    name: 'polyarchiv_hook',
    args: [word('owner'), word('prefix'), word('fn'), word('label'), rest('events')],
    tools: [],
    statuses: { registered: 0 },
  },
} as const satisfies Record<string, HelperContract>;

/**
 * What the templates read. polyarchiv_hook names its arguments with the contract's argument lines;
 * polyarchiv_unit reads each where it is (`$3`, or `"${@:10}"` for the rest), without a copy: it
 * stores a unit's state templates, a few hundred bytes each, for thousands of units.
 */
export interface RegistrationLayouts {
  readonly unit: {
    readonly at: Readonly<Record<(typeof REGISTRATIONS)['unit']['args'][number]['name'], string>>;
  };
  readonly hook: { readonly args: string };
}

/** Where each argument of `contract` is among the function's positional parameters. */
export function argumentPositions(contract: HelperContract): Record<string, string> {
  return Object.fromEntries(
    contract.args.map((arg, i) => {
      if (arg.kind === 'rest') return [arg.name, `"\${@:${i + 1}}"`];
      if (arg.kind === 'argv') throw new Error(`${contract.name}: a counted command has no single position`);
      return [arg.name, i < 9 ? `$${i + 1}` : `\${${i + 1}}`];
    }),
  );
}

let layouts: RegistrationLayouts | undefined;

export function registrationLayouts(): RegistrationLayouts {
  layouts ??= {
    unit: { at: argumentPositions(REGISTRATIONS.unit) } as RegistrationLayouts['unit'],
    hook: { args: helperArgLines(REGISTRATIONS.hook) },
  };
  return layouts;
}
