import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/graph/action.js';
import { buildCommands } from '../../src/graph/build-commands.js';
import { unitScratch } from '../../src/graph/scratch.js';

const origin = { file: 'site.collect', line: 5, section: 'source "db"' };
const base = { origin, after: [], summary: 'a step' };
const steps = (...actions: Action[]) =>
  actions.map((action) => ({ action, commands: buildCommands(action) }));

describe("a unit's scratch", () => {
  it('holds the partials its commands publish, a file it sends and removes, and what actions declare', () => {
    const scratch = unitScratch(
      steps(
        {
          ...base,
          id: 'u/1',
          kind: 'dump',
          argv: ['pg_dump', 'shop'],
          partial: '/c/metadata/work/shop.sql.partial',
          output: '/c/backups/shop.sql',
          maxShrinkPercent: 50,
          onSuspicious: 'fail',
          completeMark: '-- PostgreSQL database dump complete',
        },
        {
          ...base,
          id: 'u/2',
          kind: 'run',
          argv: ['find', '.'],
          stdout: '/c/metadata/modes.listing',
          scratch: ['/c/metadata/modes.listing'],
        },
        {
          ...base,
          id: 'u/3',
          kind: 'put-file',
          file: '/c/metadata/remote-up/outgoing.tar.gz',
          transport: { kind: 'ssh', host: 'backup.example', sshArgs: [], shown: 'backup.example' },
          remote: '/srv/site.tar.gz',
          partial: '/srv/.site.tar.gz.polyarchiv-partial',
        } as Action,
      ),
    );
    expect(scratch).toEqual([
      '/c/metadata/work/shop.sql.partial',
      '/c/metadata/modes.listing',
      '/c/metadata/remote-up/outgoing.tar.gz',
    ]);
  });

  it('leaves out a file sent and kept (a state file mirrored), and is empty for a directory made', () => {
    expect(
      unitScratch(
        steps(
          {
            ...base,
            id: 'u/1',
            kind: 'put-file',
            file: '/c/metadata/site.json',
            transport: { kind: 'ssh', host: 'backup.example', sshArgs: [], shown: 'backup.example' },
            remote: '/srv/site.json',
            partial: '/srv/.site.json.polyarchiv-partial',
            keepFile: true,
          } as Action,
          { ...base, id: 'u/2', kind: 'mkdir', path: '/c/backups' },
        ),
      ),
    ).toEqual([]);
  });
});
