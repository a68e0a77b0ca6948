import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { shellWord } from '../../src/backends/bash/shell-word.js';
import { type CallLayout, helperArgLines, helperCall } from '../../src/backends/helper-calls.js';
import { HELPERS, type HelperContract, rest, word } from '../../src/backends/helper-contracts.js';
import { argumentPositions, REGISTRATIONS } from '../../src/backends/registration-contracts.js';
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

/** A helper's body and those of the private helpers it calls (not other contracts' helpers). */
function bodies(name: string, seen = new Set<string>()): string[] {
  seen.add(name);
  const own = body(name) ?? '';
  const called = [...own.matchAll(/\b(polyarchiv_[a-z_]+)\b/g)]
    .map((m) => m[1] as string)
    .filter((fn) => !seen.has(fn) && !contractNames.has(fn) && body(fn) !== undefined);
  return [own, ...[...new Set(called)].flatMap((fn) => bodies(fn, seen))];
}

/** External programs a helper could run; builtins and the commands it is given do not count. */
const PROGRAMS = [
  'xargs',
  'mkdir',
  'mv',
  'rm',
  'rmdir',
  'sync',
  'find',
  'chmod',
  'chown',
  'stat',
  'sha256sum',
  'flock',
  'du',
  'date',
  'cp',
  'ln',
  'touch',
  'rsync',
  'tar',
  'cat',
  'mktemp',
  'git',
  'doveadm',
  'sort',
  'tee',
  'awk',
  'tail',
];

/** Program names in command position, outside comments and messages. */
function programsRun(text: string): string[] {
  const code = text
    .split('\n')
    .filter((line) => !/^\s*(#|polyarchiv_say |[a-z_]+=")/.test(line))
    .join('\n');
  return PROGRAMS.filter((program) =>
    // A program xargs starts counts as run too (`xargs -0 -r chmod ...`).
    new RegExp(
      `(^|[;&|({!]|\\$\\(|\\bif|\\bthen|\\bdo|\\belse|-exec|\\bxargs(\\s+-\\S+)*)\\s*${program}\\s`,
      'm',
    ).test(code),
  );
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
      expect(programsRun(text).sort()).toEqual([...contract.tools].sort());
    },
  );

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
    ];
    for (const contract of Object.values(HELPERS) as HelperContract[]) {
      for (const tool of contract.tools) {
        expect([...essential, ...runtime], `${contract.name} runs ${tool}`).toContain(tool);
        expect(spawnSync('sh', ['-c', `command -v ${tool}`]).status, tool).toBe(0);
      }
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
