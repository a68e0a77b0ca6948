import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderBash } from '../../src/backends/bash/render.js';
import { describeText } from '../../src/backends/describe-text.js';
import type { Plan } from '../../src/planner/plan.js';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';

const collect = (name: string, extra = '') =>
  `[point]\nengine = files\nlocal_path = {root}/collect/${name}\n${extra}\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n`;

// `plan --format text` and `--format json` write each unit as it is planned, without the plan
// ever held whole: they must say what the whole plan says.
describe('plan described unit by unit', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-plan-formats-');
    box.write({
      'data/a.txt': 'a\n',
      'config/one.collect': collect('one', 'colour = blue\n'),
      'config/two.collect': collect('two'),
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`, '--now', '2026-03-01T03:00:00+00:00'];
  });
  afterEach(() => box.remove());

  it('writes the text of the whole plan, with the warnings after the units', () => {
    const json = runCli(['plan', '--format', 'json', ...args]);
    expect(json.code, json.stderr).toBe(0);
    const plan = JSON.parse(json.stdout) as Plan;
    expect(plan.units.map((u) => u.id)).toEqual([
      'collect:one',
      'backup:mirror/one',
      'collect:two',
      'backup:mirror/two',
    ]);
    expect(json.stdout).toBe(`${JSON.stringify(plan, null, 2)}\n`);

    const text = runCli(['plan', '--format', 'text', ...args]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(describeText(plan));
    const warning = "warning: unknown option 'colour' is ignored at one.collect:4 [point]";
    expect(plan.warnings).toEqual([warning]);
    const lines = text.stdout.split('\n');
    const lastUnit = lines.reduce((last, line, i) => (line.startsWith('+ ') ? i : last), -1);
    expect(lines.indexOf(warning)).toBeGreaterThan(lastUnit);
    const steps = plan.units.reduce((sum, unit) => sum + unit.steps.length, 0);
    expect(lines.slice(-3)).toEqual(['', `Plan: 4 to run (${steps} steps), 0 not run.`, '']);
    expect(lines.at(-4)).toBe(warning);
    expect(text.stderr).toContain("warning: unknown option 'colour' is ignored");
  });

  it('counts one step in the singular', () => {
    box.write({ 'bare/bare.collect': '[point]\nengine = files\nlocal_path = {root}/collect/bare\n' });
    const text = runCli(['plan', '--format', 'text', '-C', box.path('bare'), '--set', `root=${box.root}`]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split('\n').at(-2)).toBe('Plan: 1 to run (1 step), 0 not run.');
  });

  it('writes a script whose units wait in a temporary file the same as one held whole, and leaves no file', () => {
    // Past 256 KiB of units' functions (more than nearly any configuration), they wait on disk.
    const files: Record<string, string> = {};
    for (let i = 0; i < 100; i++) files[`config/p${i}.collect`] = collect(`p${i}`);
    box.write({ ...files, 'tmp/.keep': '' });
    const env = { TMPDIR: box.path('tmp') };
    const json = runCli(['plan', '--format', 'json', '--out', box.path('plan.json'), ...args], env);
    expect(json.code, json.stderr).toBe(0);
    const plan = JSON.parse(readFileSync(box.path('plan.json'), 'utf8')) as Plan;
    expect(plan.units).toHaveLength(204);
    const script = runCli(['plan', ...args], env);
    expect(script.code, script.stderr).toBe(0);
    const units = script.stdout.slice(script.stdout.indexOf('\nunit_1_'), script.stdout.indexOf('\n# Main:'));
    expect(units.length).toBeGreaterThan(256 * 1024);
    // The script's header names the command that made it: the same but for the JSON's flags.
    const regenerate = plan.regenerate.replace(/ --format json --out \S+/, '');
    expect(script.stdout).toBe(renderBash({ ...plan, regenerate }));
    expect(readdirSync(box.path('tmp'))).toEqual(['.keep']);
  });
});
