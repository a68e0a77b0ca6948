import { describe, expect, it } from 'vitest';
import { HELPERS } from '../../src/backends/helper-contracts.js';
import type { Command } from '../../src/graph/command.js';
import { toolsOf } from '../../src/graph/command-needs.js';

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
      after: ['/c/fetched.tar.gz'],
    };
    expect(toolsOf(newest)).toEqual(['find', 'ln']);
    const reload: Command = {
      kind: 'dir-reload',
      target: '/var/lib/ldap',
      previous: '/var/lib/ldap/.old',
      input: '/c/dump.ldif',
      stop: ['systemctl', 'stop', 'slapd'],
      start: ['systemctl', 'start', 'slapd'],
      load: ['slapadd', '-l', '-'],
    };
    expect(toolsOf(reload).sort()).toEqual(
      [...new Set([...HELPERS.dirReload.tools, 'systemctl', 'slapadd'])].sort(),
    );
  });
});
