/**
 * A helper's contract (graph/helper-contracts.ts) laid out for bash: the call of the helper, with its
 * arguments in the contract's order, and the lines at the top of the helper that name them. The
 * script is rendered from these; the twin tests call the bash helpers through `helperCall` too, so
 * that both sides read one order.
 */
import { HELPERS, type HelperArg, type HelperContract } from '../graph/helper-contracts.js';

type ArgValue<A extends HelperArg> = A['kind'] extends 'word' ? string : readonly string[];

/** The values of a helper's arguments by name: words already quoted for bash. */
export type HelperValues<C extends HelperContract> = {
  readonly [A in C['args'][number] as A['name']]: ArgValue<A>;
};

/**
 * Where a call is continued on a new line, and how far the continued lines are indented: before
 * each command (calls that carry several long ones), or before the arguments a layout names.
 */
export interface CallLayout {
  readonly breakBefore: (arg: HelperArg) => boolean;
  readonly indent: string;
}

export const ONE_LINE: CallLayout = { breakBefore: () => false, indent: '' };
export const COMMAND_PER_LINE: CallLayout = { breakBefore: (arg) => arg.kind !== 'word', indent: '    ' };

/**
 * A call of the helper: its name then its arguments in the contract's order, laid out by `layout`.
 * A rest with no words adds nothing, not even its line.
 */
export function helperCall<C extends HelperContract>(
  contract: C,
  values: HelperValues<C>,
  layout: CallLayout = ONE_LINE,
): string {
  return quotedHelperCall(contract, values, layout, asIs);
}

const asIs = (word: string): string => word;

/** The values of a helper's arguments by name: single words quoted, commands' words as `W`. */
export type HelperWords<C extends HelperContract, W> = {
  readonly [A in C['args'][number] as A['name']]: A['kind'] extends 'word' ? string : readonly W[];
};

/**
 * `helperCall` with each word of its commands quoted by `quote` as the call is laid out: a plan of
 * thousands of units makes tens of thousands of calls, whose commands are not copied into arrays of
 * quoted words first.
 */
export function quotedHelperCall<C extends HelperContract, W>(
  contract: C,
  values: HelperWords<C, W>,
  layout: CallLayout,
  quote: (word: W) => string,
): string {
  let line = contract.name;
  const byName = values as Readonly<Record<string, string | readonly W[]>>;
  for (const arg of contract.args) {
    const value = byName[arg.name];
    if (arg.kind === 'word') {
      line += layout.breakBefore(arg) ? ` \\\n${layout.indent}${value}` : ` ${value}`;
      continue;
    }
    const words = value as readonly W[];
    if (arg.kind === 'rest' && words.length === 0) continue;
    if (layout.breakBefore(arg)) line += ` \\\n${layout.indent}`;
    else line += ' ';
    line += arg.kind === 'argv' ? String(words.length) : quote(words[0] as W);
    for (let i = arg.kind === 'argv' ? 0 : 1; i < words.length; i++) line += ` ${quote(words[i] as W)}`;
  }
  return line;
}

/**
 * The lines a helper starts with to name its arguments, laid out for bash: words as locals, a
 * counted command as an array, the rest as an array. Indented by two spaces, no final newline.
 */
export function helperArgLines(contract: HelperContract): string {
  const lines: string[] = [];
  const words = contract.args.filter((a) => a.kind === 'word');
  const leading = contract.args.findIndex((a) => a.kind !== 'word');
  if (leading !== -1 && contract.args.slice(leading).some((a) => a.kind === 'word')) {
    throw new Error(`${contract.name}: single words must come before commands`);
  }
  if (words.length > 0) {
    // bash reads $10 as ${1}0.
    lines.push(`local ${words.map((a, i) => `${a.name}=${i < 9 ? `$${i + 1}` : `\${${i + 1}}`}`).join(' ')}`);
    if (leading !== -1) lines.push(`shift ${words.length}`);
  }
  for (const arg of contract.args.slice(words.length)) {
    if (arg.kind === 'argv') {
      lines.push(`local -a ${arg.name}=("\${@:2:$1}")`, 'shift "$(($1 + 1))"');
    } else lines.push(`local -a ${arg.name}=("$@")`);
  }
  return lines.map((line) => `  ${line}`).join('\n');
}

/** What the templates read: each helper's argument lines and statuses, by the contract's key. */
export type HelperLayouts = {
  readonly [K in keyof typeof HELPERS]: {
    readonly args: string;
    readonly status: (typeof HELPERS)[K]['statuses'];
  };
};

let layouts: HelperLayouts | undefined;

export function helperLayouts(): HelperLayouts {
  layouts ??= Object.fromEntries(
    Object.entries(HELPERS).map(([key, contract]) => [
      key,
      { args: helperArgLines(contract), status: contract.statuses },
    ]),
  ) as unknown as HelperLayouts;
  return layouts;
}
