import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/graph/command.js';
import { addToolsOf, toolsOf } from '../../src/graph/command-needs.js';
import { BASH_BUILTINS, HELPERS } from '../../src/graph/helper-contracts.js';
import { listFixtures, planSnapshot } from '../helpers/fixtures.js';

describe('toolsOf', () => {
  it("lists what a command's helper runs itself, as its contract declares", () => {
    const modes: Command = { kind: 'apply-modes', manifest: '/c/.polyarchiv-modes', tree: '/srv/site' };
    expect(toolsOf(modes).sort()).toEqual([...HELPERS.applyModes.tools].sort());
    expect(
      toolsOf({
        kind: 'check-dump',
        partial: 'p',
        previous: 'f',
        maxShrinkPercent: 50,
        onSuspicious: 'fail',
        completeMark: '',
      }),
    ).toEqual(expect.arrayContaining([...HELPERS.checkDump.tools]));
  });

  it('adds the programs of every command the helper is given, once each, and no other words', () => {
    const newest: Command = {
      kind: 'newest-file',
      pattern: '^(.*)$',
      pathGroup: 1,
      order: [1],
      notAfter: '',
      none: 'none',
      list: ['find', '/srv/archives', '-printf', '%p\\n'],
      get: ['ln', '-s', '--'],
      prefix: '',
      shownPrefix: '',
      after: ['/c/fetched.tar.gz'],
    };
    expect(toolsOf(newest)).toEqual(['cat', 'rm', 'find', 'ln']);
    const reload: Command = {
      kind: 'dir-reload',
      target: '/var/lib/ldap',
      previous: '/var/lib/ldap/.old',
      input: '/c/dump.ldif',
      stop: ['systemctl', 'stop', 'slapd'],
      stopOrigin: 'site.collect:7 [source "directory"]',
      start: ['systemctl', 'start', 'slapd'],
      load: ['slapadd', '-l', '-'],
    };
    expect(toolsOf(reload).sort()).toEqual(
      [...new Set([...HELPERS.dirReload.tools, 'systemctl', 'slapadd'])].sort(),
    );
  });
});

describe('toolsOf and bash builtins', () => {
  const exec = (...argv: string[]): Command => ({ kind: 'exec', argv });

  it('lists no builtin that bash runs itself: nothing to install', () => {
    expect(toolsOf(exec('printf', '%s\\n', 'text'))).toEqual([]);
    expect(toolsOf(exec('test', '!', '-e', '/c/mark'))).toEqual([]);
    expect(toolsOf({ kind: 'confirm', warning: 'q', preview: ['echo', 'x'] })).toEqual([
      ...HELPERS.confirm.tools,
    ]);
  });

  it('lists a builtin that another program starts, and one given by its path: programs then', () => {
    expect(toolsOf(exec('timeout', '--kill-after=5', '10', 'test', '-e', '/c/x'))).toEqual([
      'timeout',
      'test',
    ]);
    expect(toolsOf(exec('xargs', '-r', '--', 'printf', '%s'))).toEqual(['xargs', 'printf']);
    expect(toolsOf(exec('sudo', '-n', '-u', 'mysql', '--', 'echo'))).toEqual(['sudo', 'echo']);
    expect(toolsOf(exec('/usr/bin/printf', '%s'))).toEqual(['/usr/bin/printf']);
  });

  it("are bash's builtins", () => {
    const run = spawnSync('bash', ['-c', 'compgen -b'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect([...BASH_BUILTINS].sort()).toEqual(
      run.stdout
        .split('\n')
        .filter((name) => name !== '')
        .sort(),
    );
  });
});

/** The tools `addToolsOf` notes into a set: the plan's fast path, which must find what toolsOf finds. */
function added(command: Command): string[] {
  const tools = new Set<string>();
  addToolsOf(command, tools);
  return [...tools].sort();
}

describe("addToolsOf, the planner's way to note tools, agrees with toolsOf", () => {
  const exec = (...argv: string[]): Command => ({ kind: 'exec', argv });
  it.each([
    ['printf', '%s\\n', 'text'],
    ['test', '!', '-e', '/c/mark'],
    ['timeout', '--kill-after=5', '10', 'test', '-e', '/c/x'],
    ['xargs', '-r', '--', 'printf', '%s'],
    ['sudo', '-n', '-u', 'mysql', '--', 'echo'],
    ['/usr/bin/printf', '%s'],
    ['rsync', '-a', '-e', 'ssh -p 22', 'a', 'b'],
  ])('on %s', (...argv) => {
    expect(added(exec(...argv))).toEqual([...new Set(toolsOf(exec(...argv)))].sort());
  });

  it.each(listFixtures())('on every command of fixture %s', (name) => {
    for (const unit of planSnapshot(name).plan?.units ?? [])
      for (const step of unit.steps)
        for (const command of step.commands)
          expect(added(command), JSON.stringify(command).slice(0, 200)).toEqual(
            [...new Set(toolsOf(command))].sort(),
          );
  });
});
