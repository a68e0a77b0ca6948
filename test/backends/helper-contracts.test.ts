import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { shellWord } from '../../src/backends/bash/shell-word.js';
import { type CallLayout, helperArgLines, helperCall } from '../../src/backends/helper-calls.js';
import { argumentPositions, REGISTRATIONS } from '../../src/backends/registration-contracts.js';
import { HELPER_OF } from '../../src/graph/command-needs.js';
import {
  HELPERS,
  type HelperContract,
  INTERRUPTING_SIGNALS,
  RUN_HELPERS,
  RUN_TOOLS,
  rest,
  SCRIPT_TOOLS,
  word,
} from '../../src/graph/helper-contracts.js';
import { haveTools } from '../helpers/tools.js';

const SHARED_HELPERS = fileURLToPath(new URL('../../snapshots/helpers/', import.meta.url));
/** The helper files of the golden scripts, as rendered: together they define every helper. */
const scripts = readdirSync(SHARED_HELPERS).map((name) => readFileSync(`${SHARED_HELPERS}${name}`, 'utf8'));

/** The body of a bash function as rendered (from its opening line to its closing brace). */
function body(name: string): string | undefined {
  for (const script of scripts) {
    const start = script.indexOf(`\n${name}() {\n`);
    if (start === -1) continue;
    const from = start + name.length + 6;
    return script.slice(from, script.indexOf('\n}\n', from));
  }
  return undefined;
}

/** The helpers, and the functions of the main part that register units and hooks. */
const CONTRACTS: readonly HelperContract[] = [...Object.values(HELPERS), ...Object.values(REGISTRATIONS)];
const contractNames = new Set<string>(CONTRACTS.map((c) => c.name));

/**
 * A helper and the functions it calls, by name: its private helpers, and with `contracts`, the
 * other contracts' helpers too (whose programs it runs, but whose statuses it reads, not returns).
 */
function bodyNames(name: string, contracts = false, seen = new Set<string>()): string[] {
  seen.add(name);
  const own = body(name) ?? '';
  const called = [...own.matchAll(/\b(polyarchiv_[a-z_]+)\b/g)]
    .map((m) => m[1] as string)
    .filter((fn) => !seen.has(fn) && (contracts || !contractNames.has(fn)) && body(fn) !== undefined);
  return [name, ...[...new Set(called)].flatMap((fn) => bodyNames(fn, contracts, seen))];
}

const bodies = (name: string, contracts = false): string[] =>
  bodyNames(name, contracts).map((fn) => body(fn) ?? '');

/** A function's whole definition in `script`, with the comment lines just above it. */
function definition(name: string, script: string): string | undefined {
  const start = script.indexOf(`\n${name}() {\n`);
  if (start === -1) return undefined;
  const end = script.indexOf('\n}\n', start) + 3;
  let from = start + 1;
  while (from > 0) {
    const previous = script.lastIndexOf('\n', from - 2) + 1;
    if (!script.slice(previous, from).startsWith('#')) break;
    from = previous;
  }
  return script.slice(from, end);
}

/** Every function the rendered helper files define: none of them is a program. */
const functions = new Set(
  scripts.flatMap((script) => [...script.matchAll(/^(\w+)\(\) \{$/gm)].map((m) => m[1])),
);

/**
 * The shell code of a text, its comments left out; quoted text is emptied, but for the commands a
 * double-quoted text substitutes, and arithmetic too, whose words are variables.
 */
const codeOf = (text: string): string =>
  text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/'[^']*'/g, "''")
    .replace(/"(?:[^"\\]|\\.)*"/g, (quoted) => (quoted.includes('$(') ? quoted : '""'))
    .replace(/\(\((?:[^()]|\([^()]*\))*\)\)/g, '(( ))');

/**
 * Words in command position: at the start of a line or of a list, a pipeline, a group or a
 * command substitution, after a keyword, after assignments; the program xargs or find's -exec
 * starts; the command an awk program pipes to (`print | "cat 1>&2"`). Case patterns (`d)`) are not.
 */
const COMMAND_WORD =
  /(?<=(?:^|[;&|{!]|(?<!\()\(|\$\(|\b(?:if|then|do|else|elif|while|until|exec|command|time))[ \t]*(?:[A-Za-z_]\w*=\S*[ \t]+)*|\bxargs(?:[ \t]+-\S+)*[ \t]+|-exec[ \t]+)[a-z][\w.-]*(?=[ \t;)]|$)/gm;
const AWK_PIPE = /\|\s*"([a-z][\w.-]*)/g;

/** What bash makes of each word: a builtin, a keyword, or a program it finds on PATH ('file'). */
function wordKinds(words: readonly string[]): Map<string, string> {
  const run = spawnSync(
    'bash',
    ['-c', 'for w; do printf \'%s %s\\n\' "$w" "$(type -t "$w")"; done', 'bash', ...words],
    {
      encoding: 'utf8',
    },
  );
  return new Map(run.stdout.split('\n').map((line) => line.split(' ') as [string, string]));
}

/**
 * The programs some texts run: every word in command position that is neither one of the helpers'
 * functions nor a bash builtin or keyword, and that bash finds on PATH. Builtins count for nothing,
 * Essential programs (mkdir, cat...) as much as any other: a helper that starts one must say so.
 */
function programsRun(texts: readonly string[]): string[] {
  // Each function's quotes read on their own: one misread (an apostrophe in a double-quoted
  // message) must not hide the code of the functions after it.
  const code = texts.map(codeOf).join('\n');
  const candidates = new Set(
    texts.flatMap((text) => [...text.matchAll(AWK_PIPE)].map((m) => m[1] as string)),
  );
  for (const m of code.matchAll(COMMAND_WORD)) {
    const at = m.index ?? 0;
    const casePattern = code[at + m[0].length] === ')' && /(^|\n)[ \t]*$/.test(code.slice(0, at));
    if (!casePattern) candidates.add(m[0]);
  }
  const words = [...candidates].filter((w) => !functions.has(w));
  const kinds = wordKinds(words);
  return words.filter((w) => kinds.get(w) === 'file').sort();
}

describe('helper contracts', () => {
  const cases = CONTRACTS.map((contract) => [contract.name, contract] as const);

  // polyarchiv_unit reads its arguments where they are (registrationLayouts): see below.
  const named = cases.filter(([name]) => name !== REGISTRATIONS.unit.name);
  it.each(named)('%s: the rendered helper names its arguments as the contract orders them', (_, contract) => {
    const text = body(contract.name);
    expect(text, `${contract.name} is not defined by any golden script`).toBeDefined();
    expect(text?.startsWith(helperArgLines(contract))).toBe(true);
  });

  it.each(cases)(
    '%s: exits only with the statuses of the contract, and runs only its tools',
    (_, contract) => {
      const text = bodies(contract.name).join('\n');
      const returned = [...text.matchAll(/\breturn (\d+)\b/g)].map((m) => Number(m[1]));
      const statuses = Object.values(contract.statuses);
      for (const status of returned) expect(statuses, `${contract.name} returns ${status}`).toContain(status);
      for (const status of statuses.filter((s) => s !== 0)) expect(returned).toContain(status);
      expect(programsRun(bodies(contract.name, true))).toEqual([...contract.tools].sort());
    },
  );

  // What is not a helper's is the script's own code: its tools are every script's.
  it("the script's own code runs only the tools every script lists", () => {
    const helpers = new Set(CONTRACTS.flatMap((contract) => bodyNames(contract.name)));
    const own = scripts.map((script) =>
      [...helpers].reduce((text, name) => text.replace(definition(name, text) ?? '', ''), script),
    );
    expect(programsRun(own)).toEqual([...SCRIPT_TOOLS].sort());
  });

  it('lists in every header the tools of every helper that no step calls', () => {
    const calledBySteps = new Set<HelperContract>(Object.values(HELPER_OF));
    const others = (Object.values(HELPERS) as HelperContract[]).filter(
      (helper) => !calledBySteps.has(helper),
    );
    expect(others.map((helper) => helper.name).sort()).toEqual(
      RUN_HELPERS.map((helper) => helper.name).sort(),
    );
    for (const tool of [...SCRIPT_TOOLS, ...others.flatMap((helper) => helper.tools)])
      expect(RUN_TOOLS).toContain(tool);
  });

  it('runs tools that every installation has: Debian essential ones, or installed as runtime tools', () => {
    const deps = readFileSync(
      fileURLToPath(new URL('../../scripts/system-deps.sh', import.meta.url)),
      'utf8',
    );
    const runtime = /^runtime_tools=\(([^)]*)\)/m.exec(deps)?.[1]?.split(/\s+/) ?? [];
    // coreutils and findutils are Essential: every Debian system has them.
    const essential = [
      'mkdir',
      'mv',
      'rm',
      'rmdir',
      'sync',
      'chmod',
      'chown',
      'stat',
      'find',
      'tee',
      'ln',
      'cp',
      'touch',
      'mktemp',
      'cat',
      'du',
      'tail',
      'xargs',
      'date',
      'nproc',
      'sleep',
      'sha256sum',
    ];
    const runs = [
      ...(Object.values(HELPERS) as HelperContract[]).flatMap((c) => c.tools.map((tool) => [c.name, tool])),
      ...SCRIPT_TOOLS.map((tool) => ['the script', tool]),
    ];
    for (const [who, tool] of runs) {
      expect([...essential, ...runtime], `${who} runs ${tool}`).toContain(tool);
      expect(spawnSync('sh', ['-c', `command -v ${tool}`]).status, tool).toBe(0);
    }
  });

  it('passes single words, counted commands and the rest through bash in the contract order', () => {
    expect(haveTools('bash')).toBe(true);
    for (const contract of CONTRACTS)
      expectPassedThrough(contract, (values) => helperCall(contract, values as never));
    // Past nine words, which bash would read as $1 followed by a digit.
    const many: HelperContract = {
      name: 'polyarchiv_many',
      args: [...Array.from({ length: 11 }, (_, i) => word(`w${i + 1}`)), rest('others')],
      tools: [],
      statuses: {},
    };
    expectPassedThrough(many, (values) => helperCall(many, values as never));
  });

  it('polyarchiv_unit reads each argument at its position in the contract, and nothing else', () => {
    const text = body(REGISTRATIONS.unit.name) ?? '';
    const positions = Object.values(argumentPositions(REGISTRATIONS.unit));
    for (const position of positions) expect(text).toContain(position);
    const read = [...text.matchAll(/"\$\{@:\d+\}"|\$\{?\d+\}?/g)].map((m) => m[0]);
    expect([...new Set(read)].sort()).toEqual([...positions].sort());
    const show = Object.entries(argumentPositions(REGISTRATIONS.unit))
      .map(([name, at]) => `printf '${name}=%s\\0' ${at.startsWith('"') ? at : `"${at}"`}`)
      .join('\n');
    const line = helperCall(REGISTRATIONS.unit, {
      id: 'collect:site',
      fn: 'unit_1',
      lock_file: shellWord('/a b/lock'),
      state_file: shellWord("it's"),
      planned_sha256: "''",
      on_success: shellWord('{"a":"$HOME"}'),
      on_failure: shellWord('x\ny'),
      measure: shellWord('*'),
      keep_aside: 'keep-aside',
      requires: ['r1', shellWord('r 2')],
    });
    const run = spawnSync('bash', ['-c', `polyarchiv_unit() {\n${show}\n}\n${line}\n`], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\0').slice(0, -1)).toEqual([
      'id=collect:site',
      'fn=unit_1',
      'lock_file=/a b/lock',
      "state_file=it's",
      'planned_sha256=',
      'on_success={"a":"$HOME"}',
      'on_failure=x\ny',
      'measure=*',
      'keep_aside=keep-aside',
      'requires=r1',
      'requires=r 2',
    ]);
  });

  it('lays out registration lines that bash reads back in the contract order, continued or not', () => {
    for (const contract of Object.values(REGISTRATIONS) as HelperContract[]) {
      const everyArg: CallLayout = { breakBefore: () => true, indent: '  ' };
      expectPassedThrough(contract, (values) => helperCall(contract, values as never));
      expectPassedThrough(contract, (values) => helperCall(contract, values as never, everyArg));
      // An empty rest adds nothing to the line.
      expectPassedThrough(contract, (values) => helperCall(contract, values as never, everyArg), 0);
    }
  });

  it('has a twin test for each helper, naming it, that runs the helper and its executor twin alike', () => {
    const dir = fileURLToPath(new URL('./', import.meta.url));
    const twinTests = readdirSync(dir)
      .filter((name) => name.endsWith('-twins.test.ts'))
      .map((name) => readFileSync(`${dir}${name}`, 'utf8'));
    const untested = (Object.values(HELPERS) as HelperContract[])
      .map((contract) => contract.name)
      .filter((name) => !twinTests.some((text) => new RegExp(`\\b${name}\\b`).test(text)));
    expect(untested).toEqual([]);
  });
});

const SAMPLES = ['', 'two words', '-n', "it's", '$HOME', '*', 'a\nb'];

/**
 * Calls the contract's function, laid out by `call`, with sample words (quoted, in bash's hard
 * cases) and checks that it reads each argument as given; `restWords` sets the count of each
 * argument of several words.
 */
function expectPassedThrough(
  contract: HelperContract,
  call: (values: Record<string, string | string[]>) => string,
  restWords?: number,
): void {
  const values: Record<string, string | string[]> = {};
  const expected: string[] = [];
  contract.args.forEach((arg, i) => {
    const words = SAMPLES.slice(i % SAMPLES.length).concat(SAMPLES.slice(0, i % SAMPLES.length));
    if (arg.kind === 'word') {
      values[arg.name] = shellWord(words[0] as string);
      expected.push(`${arg.name}=${words[0]}`);
    } else {
      const taken = words.slice(0, restWords ?? 1 + (i % 3));
      values[arg.name] = taken.map(shellWord);
      expected.push(`${arg.name}=${taken.length}`, ...taken.map((w) => `${arg.name}[]=${w}`));
    }
  });
  const show = contract.args
    .map((arg) =>
      arg.kind === 'word'
        ? `printf '%s\\0' "${arg.name}=\${${arg.name}}"`
        : `printf '%s\\0' "${arg.name}=\${#${arg.name}[@]}"; for w in "\${${arg.name}[@]}"; do printf '${arg.name}[]=%s\\0' "\${w}"; done`,
    )
    .join('\n');
  const script = `set -euo pipefail\n${contract.name}() {\n${helperArgLines(contract)}\n${show}\n}\n${call(values)}\n`;
  const run = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  expect(run.status, `${contract.name}: ${run.stderr}`).toBe(0);
  expect(run.stdout.split('\0').slice(0, -1), contract.name).toEqual(expected);
}

describe('the signals that interrupt a run', () => {
  it.each(INTERRUPTING_SIGNALS)(
    '$name: status 128 + its number, trapped by the run, its units and their subshells',
    ({ name, status }) => {
      expect(status).toBe(128 + constants.signals[`SIG${name}`]);
      const helpers = scripts.join('\n');
      expect(helpers).toContain(`\ntrap 'polyarchiv_interrupt ${name}' ${name}\n`);
      expect(body('polyarchiv_run_unit')).toContain(`trap 'polyarchiv_signal=${name}' ${name}\n`);
      expect(body('polyarchiv_exit_on_signal')).toContain(`trap 'exit ${status}' ${name}`);
    },
  );

  it('leaves a hang-up to the run, which carries on without its terminal', () => {
    expect(INTERRUPTING_SIGNALS.map((s) => s.name)).not.toContain('HUP');
    expect(scripts.join('\n')).toContain("\ntrap '' HUP\n");
  });
});
