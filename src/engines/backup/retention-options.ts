import type { Diagnostics } from '../../diag/diagnostic.js';
import type { OptionSpec, OptionValues } from '../../options/schema.js';
import { ruleOption } from '../../retention/explain.js';
import { RULES } from '../../retention/periods.js';
import { isEmptyPolicy, type Policy } from '../../retention/retention.js';

/** The original's counts where it had them (hourly 1, daily 30, weekly 10, yearly 20), and 12 months. */
const COUNTS: readonly (readonly [string, string, string])[] = [
  ['hourly_count', '1', 'hour'],
  ['daily_count', '30', 'day'],
  ['weekly_count', '10', 'ISO week (Monday to Sunday)'],
  ['monthly_count', '12', 'month'],
  ['yearly_count', '20', 'year'],
];

/** What a backup point keeps a history of, as its messages name it. */
export interface CopyNoun {
  readonly one: string;
  readonly many: string;
  /** The article before `one`. */
  readonly a: string;
}

/**
 * The retention options of every backup point that keeps a history (`rolling_archive`: archives,
 * `restic`: snapshots), with the same names and defaults.
 */
export function retentionOptions(copy: CopyNoun): OptionSpec[] {
  return [
    {
      name: 'keep_last',
      type: 'integer',
      range: [-1, 1_000_000],
      default: '0',
      variables: false,
      help: `Keep this many newest ${copy.many}, whatever their dates; -1 keeps every ${copy.one}, 0 turns the rule off.`,
    },
    ...COUNTS.map(
      ([name, fallback, period]): OptionSpec => ({
        name,
        type: 'integer',
        range: [-1, 1_000_000],
        default: fallback,
        variables: false,
        help: `Keep the newest ${copy.one} of each of this many periods of one ${period} that hold ${copy.a} ${copy.one} (a period without one does not count); -1 keeps the newest of every such period, 0 turns the rule off.`,
      }),
    ),
  ];
}

export function policyOf(options: OptionValues): Policy {
  return Object.fromEntries(RULES.map((rule) => [rule, options.integer(ruleOption(rule))])) as Policy;
}

/** Every count 0 would keep nothing but the newest copy: refused at the line of `daily_count`. */
export function checkPolicy(options: OptionValues, diagnostics: Diagnostics, copy: CopyNoun): void {
  if (!isEmptyPolicy(policyOf(options))) return;
  diagnostics.error(
    `every retention count is 0: no ${copy.one} would be kept but the newest`,
    options.origin('daily_count'),
    `set at least one of ${RULES.map(ruleOption).join(', ')}`,
  );
}
