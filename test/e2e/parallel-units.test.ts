import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'sleep');
const PLAN_ORDER = ['collect:alpha', 'backup:mirror/alpha', 'collect:beta', 'backup:mirror/beta'];

/**
 * Two collect points, each mirrored; every rsync logs when it starts and ends, and takes a second,
 * so that the log shows which units overlapped.
 */
function setUp(): { box: Sandbox; args: string[]; events: () => string[] } {
  const box = makeSandbox('polyarchiv-parallel-');
  const log = box.path('rsync.log');
  const shim = box.path('logging-rsync');
  writeFileSync(
    shim,
    `#!/bin/sh
# The copy guards' dry runs (-n) only measure: they are not logged as transfers.
case " $* " in *" -n "*) exec rsync "$@" ;; esac
for last; do :; done
case $last in */mirror/*) unit=backup ;; *) unit=collect ;; esac
case $last in *alpha*) unit=$unit:alpha ;; *) unit=$unit:beta ;; esac
echo "start $unit" >> '${log}'
sleep 1
rsync "$@"
status=$?
echo "end $unit" >> '${log}'
exit $status
`,
  );
  chmodSync(shim, 0o755);
  const point = (name: string) =>
    `[point]\nengine = files\nlocal_path = {root}/${name}\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data/${name}\ndestination_path = data\n`;
  box.write({
    'config/alpha.collect': point('alpha'),
    'config/beta.collect': point('beta'),
    'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    'config/tools.global': `[global]\nrsync_executable = ${shim}\n`,
    'data/alpha/a.txt': 'a\n',
    'data/beta/b.txt': 'b\n',
  });
  return {
    box,
    args: ['-C', box.path('config'), '--set', `root=${box.root}`],
    events: () => readFileSync(log, 'utf8').trim().split('\n'),
  };
}

function run(
  backend: 'apply' | 'script',
  box: Sandbox,
  args: string[],
  jobs: number,
  env: Record<string, string> = {},
): CliResult {
  if (backend === 'apply') return runCli(['backup', '--jobs', String(jobs), ...args], env);
  writeFileSync(box.path('backup.sh'), runCli(['plan', ...args]).stdout);
  const script = spawnSync('bash', [box.path('backup.sh'), '--jobs', String(jobs)], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: script.status ?? -1, stdout: script.stdout, stderr: script.stderr };
}

/** The unit names in the order their blocks start, and each block's step counters. */
function blocks(stderr: string): { unit: string; steps: string[] }[] {
  const lines = stderr.split('\n').filter((l) => l.startsWith('polyarchiv: '));
  const found: { unit: string; steps: string[] }[] = [];
  for (const line of lines.map((l) => l.slice('polyarchiv: '.length))) {
    if (line === 'summary:') break;
    if (!line.startsWith(' ')) found.push({ unit: line, steps: [] });
    else found.at(-1)?.steps.push(/^ {2}(\d+)\/\d+ /.exec(line)?.[1] ?? line);
  }
  return found;
}

function summary(stderr: string): string[] {
  return [...(stderr.split('summary:')[1]?.matchAll(/polyarchiv: +(\w+) +(\S+)/g) ?? [])].map(
    (m) => `${m[1]} ${m[2]}`,
  );
}

describe.runIf(canRun).each(['apply', 'script'] as const)('units through %s', (backend) => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it('run two collect points at once with --jobs 2, each mirror after its own collect point', () => {
    const t = setUp();
    box = t.box;
    const result = run(backend, t.box, t.args, 2);
    expect(result.code, result.stderr).toBe(0);
    const events = t.events();
    expect(events.slice(0, 2).sort()).toEqual(['start collect:alpha', 'start collect:beta']);
    for (const name of ['alpha', 'beta']) {
      expect(events.indexOf(`end collect:${name}`)).toBeLessThan(events.indexOf(`start backup:${name}`));
      expect(fileContents(t.box.path(`mirror/${name}/data`))).toEqual(
        fileContents(t.box.path(`data/${name}`)),
      );
    }
    // Each unit's lines come together, whatever order the units ended in.
    const found = blocks(result.stderr);
    expect(found.map((b) => b.unit).sort()).toEqual([...PLAN_ORDER].sort());
    for (const block of found) {
      expect(block.steps).toEqual(block.steps.map((_, i) => String(i + 1)));
    }
    expect(summary(result.stderr)).toEqual(PLAN_ORDER.map((id) => `ok ${id}`));
  });

  it('run one unit after the other, in plan order, with --jobs 1', () => {
    const t = setUp();
    box = t.box;
    const result = run(backend, t.box, t.args, 1);
    expect(result.code, result.stderr).toBe(0);
    expect(t.events()).toEqual(
      ['collect:alpha', 'backup:alpha', 'collect:beta', 'backup:beta'].flatMap((u) => [
        `start ${u}`,
        `end ${u}`,
      ]),
    );
    expect(blocks(result.stderr).map((b) => b.unit)).toEqual(PLAN_ORDER);
    expect(summary(result.stderr)).toEqual(PLAN_ORDER.map((id) => `ok ${id}`));
  });

  it("keep a unit's tool errors among its own lines, in the C locale whatever the caller's", () => {
    const t = setUp();
    box = t.box;
    expect(run(backend, t.box, t.args, 2).code).toBe(0);
    // The next run's guard counts the source before its copy, and cannot.
    renameSync(t.box.path('data/alpha'), t.box.path('data/gone'));
    const result = run(backend, t.box, [...t.args, '--force'], 2, { LC_ALL: 'C.UTF-8' });
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stderr.split('\n');
    const start = lines.indexOf('polyarchiv: collect:alpha');
    const end = lines.findIndex((line, i) => i > start && /^polyarchiv: \S/.test(line));
    const error = lines.indexOf(`find: '${t.box.path('data/alpha')}/': No such file or directory`);
    expect(lines.slice(start, end)).toEqual([
      'polyarchiv: collect:alpha',
      'polyarchiv:   1/4 check that no restore of collect point "alpha" was left unfinished',
      'polyarchiv:   2/4 create the collect directory',
      'polyarchiv:   3/4 create the copy of source "data"',
      `polyarchiv:   4/4 update the copy of source "data" from ${t.box.path('data/alpha')}`,
      'polyarchiv:   cannot measure what the copy of source "data" would receive:',
      lines[error],
      'polyarchiv:   failed with exit code 1: step 4 of 4 at alpha.collect:5 [source "data"]',
    ]);
    expect(error).toBeGreaterThan(start);
    expect(summary(result.stderr)).toEqual([
      'failed collect:alpha',
      'skipped backup:mirror/alpha',
      'ok collect:beta',
      'ok backup:mirror/beta',
    ]);
  });

  it('skip only the mirror of a collect point that failed, while the other runs', () => {
    const t = setUp();
    box = t.box;
    t.box.write({
      'config/alpha.collect': readFileSync(t.box.path('config/alpha.collect'), 'utf8').replace(
        'data/alpha',
        'data/missing',
      ),
    });
    const result = run(backend, t.box, t.args, 2);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('backup:mirror/alpha: skipped, collect:alpha did not succeed');
    expect(summary(result.stderr)).toEqual([
      'failed collect:alpha',
      'skipped backup:mirror/alpha',
      'ok collect:beta',
      'ok backup:mirror/beta',
    ]);
  });
});
