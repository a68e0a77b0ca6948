import { type HelperContract, type HelperValues, helperArgLines, rest, word } from './helper-contracts.js';

/**
 * The functions of the script's main part that register what the run is made of, one line each:
 * its units and its hooks. Apply holds the plan itself and has no twin of them; what the lines and
 * the functions share is the order of the arguments, kept here as helpers keep theirs
 * (helper-contracts.ts): the lines are laid out from it (view-model.ts), the functions read their
 * arguments with the lines it renders, and test/backends/helper-contracts.test.ts checks both.
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
 * What the templates read: each registration's argument lines (`args`), or, where copies cost
 * (polyarchiv_unit stores a unit's state templates, a few hundred bytes each, for thousands of
 * units), where each argument is (`at`: `$3`, or `"${@:10}"` for the rest), read without a copy.
 */
export type RegistrationLayouts = {
  readonly [K in keyof typeof REGISTRATIONS]: {
    readonly args: string;
    readonly at: Readonly<Record<(typeof REGISTRATIONS)[K]['args'][number]['name'], string>>;
  };
};

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
    unit: { args: helperArgLines(REGISTRATIONS.unit), at: argumentPositions(REGISTRATIONS.unit) },
    hook: { args: helperArgLines(REGISTRATIONS.hook), at: argumentPositions(REGISTRATIONS.hook) },
  } as RegistrationLayouts;
  return layouts;
}

/**
 * A registration line: the function's name, then its arguments (quoted already) in the contract's
 * order, continued on a new line before each one that `breakBefore` names; an empty rest adds
 * nothing. Thousands of units make as many lines: written into one string as it goes.
 */
export function registrationLine<C extends HelperContract>(
  contract: C,
  values: HelperValues<C>,
  breakBefore: ReadonlySet<string> = NO_BREAKS,
): string {
  let text = contract.name;
  const byName = values as Readonly<Record<string, string | readonly string[]>>;
  for (const arg of contract.args) {
    const value = byName[arg.name] as string | readonly string[];
    if (typeof value !== 'string' && value.length === 0) continue;
    text += breakBefore.has(arg.name) ? ' \\\n  ' : ' ';
    text += typeof value === 'string' ? value : value.join(' ');
  }
  return text;
}

const NO_BREAKS: ReadonlySet<string> = new Set();
