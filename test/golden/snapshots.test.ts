import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderBash } from '../../src/backends/bash/render.js';
import { jsonPieces } from '../../src/backends/describe-json.js';
import { describeText } from '../../src/backends/describe-text.js';
import { formatDiagnostic } from '../../src/diag/diagnostic.js';
import { partsOf, savedPlan } from '../../src/planner/plan.js';
import { CLI } from '../helpers/cli.js';
import { listFixtures, planSnapshot } from '../helpers/fixtures.js';
import { joinScript, type SplitScript, splitScript } from '../helpers/script-snapshot.js';
import { haveTools } from '../helpers/tools.js';

const SNAPSHOTS = new URL('../../snapshots/', import.meta.url).pathname;
const HELPERS = `${SNAPSHOTS}helpers/`;
const canLint = haveTools('shellcheck', 'bash');
/** The shared helper files that some golden script holds. */
const used = new Set<string>();

describe.each(listFixtures())('fixture %s', (name) => {
  const result = planSnapshot(name);
  const script = result.plan && renderBash(result.plan);
  const split: SplitScript | undefined = result.plan && splitScript(script as string, result.plan.mode);
  for (const file of split?.shared.keys() ?? []) used.add(file);

  it('plans without errors', () => {
    expect(result.diagnostics.errors.map(formatDiagnostic)).toEqual([]);
    expect(result.plan).toBeDefined();
  });

  it('renders the golden script (its shared helpers kept once) and plan text', async () => {
    if (result.plan === undefined || split === undefined) return;
    await expect(split.own).toMatchFileSnapshot(`${SNAPSHOTS}${name}.sh`);
    for (const [file, text] of split.shared) await expect(text).toMatchFileSnapshot(`${HELPERS}${file}`);
    await expect(describeText(result.plan)).toMatchFileSnapshot(`${SNAPSHOTS}${name}.plan.txt`);
  });

  // With the test above, which holds the files equal to these texts: the files make the script.
  it('is the whole script again from its snapshot and the shared helper files', () => {
    if (split === undefined) return;
    expect(joinScript(split.own, (file) => split.shared.get(file))).toBe(script);
  });

  it('writes, one unit at a time, the same JSON as the whole plan', () => {
    if (result.plan === undefined) return;
    // A saved plan holds no value of a variable that a secret is made of.
    const whole = `${JSON.stringify(savedPlan(result.plan), null, 2)}\n`;
    expect([...jsonPieces(partsOf(result.plan))].join('')).toBe(whole);
    const none = { ...result.plan, units: [] };
    expect([...jsonPieces(partsOf(none))].join('')).toBe(`${JSON.stringify(savedPlan(none), null, 2)}\n`);
  });

  it('renders byte-identical scripts for identical inputs', () => {
    if (result.plan === undefined) return;
    const again = planSnapshot(name).plan;
    expect(again && renderBash(again)).toBe(renderBash(result.plan));
  });

  // The whole script, as users run it: read from standard input, it needs no file a killed test
  // would leave behind.
  it.runIf(canLint)('passes bash -n and shellcheck --enable=all', () => {
    if (script === undefined) return;
    expectCleanScript({ text: script });
  });

  // The snapshot file on its own, as anyone lints it: it sources the shared helper files, which
  // shellcheck follows without -x (snapshots/.shellcheckrc).
  it.runIf(canLint)('has a snapshot that passes bash -n and shellcheck --enable=all', () => {
    if (script === undefined) return;
    expectCleanScript(`${SNAPSHOTS}${name}.sh`);
  });
});

/** Lints a file, or a script's text given on standard input. */
function expectCleanScript(script: string | { readonly text: string }): void {
  const [path, input] = typeof script === 'string' ? [script, undefined] : ['-', script.text];
  const syntax = spawnSync('bash', ['-n', ...(input === undefined ? [path] : [])], {
    encoding: 'utf8',
    input,
  });
  expect(syntax.stderr).toBe('');
  expect(syntax.status).toBe(0);
  const lint = spawnSync('shellcheck', ['--enable=all', '--shell=bash', path], { encoding: 'utf8', input });
  expect(lint.stdout).toBe('');
  expect(lint.status).toBe(0);
}

// A helper file that no golden script holds any more is left over from an older template.
describe('snapshots/helpers/', () => {
  it('holds only the shared helper files of the golden scripts', () => {
    expect(readdirSync(HELPERS).sort()).toEqual([...used].sort());
  });
});

// The committed review render of examples/ci is a golden script too: `-u` renders it again, as
// its check.sh says, from its directory.
describe('examples/ci/backup.review.sh', () => {
  it('is the review render of its directory', async () => {
    const dir = new URL('../../examples/ci/', import.meta.url).pathname;
    const render = spawnSync(
      process.execPath,
      [
        CLI,
        'plan',
        '--review',
        '-C',
        '.',
        '--now',
        '2026-01-01T03:00:00+01:00',
        '--set',
        'fqdn=web1.example.org',
      ],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, TZ: 'Europe/Paris' } },
    );
    expect(render.stderr).toBe('');
    await expect(render.stdout).toMatchFileSnapshot(`${dir}backup.review.sh`);
  });
});
