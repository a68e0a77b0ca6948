import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { shellWord } from '../../src/backends/bash/shell-word.js';
import { haveTools } from '../helpers/tools.js';

const HOSTILE = [
  'plain',
  '',
  'with space',
  "it's",
  '"double"',
  '$(touch /tmp/PWNED)',
  '`id`',
  '${IFS}',
  '*.glob?[a]',
  '-rf',
  '--exclude=*.tmp',
  'a=b',
  'new\nline',
  'tab\there',
  "bell\u0007 and 'quote' \r",
  '\\back\\slash',
  '~root',
  '#comment',
  'unicodé ✓',
  "'\"'\"'",
  '!history',
];

describe('shell quoting', () => {
  it.runIf(haveTools('bash'))('reads back every hostile word exactly', () => {
    const script = `printf '%s\\0' ${HOSTILE.map(shellWord).join(' ')}`;
    const out = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(out.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE);
  });

  it('leaves readable words bare and options with a pattern quoted whole', () => {
    expect(shellWord('/srv/backups/site')).toBe('/srv/backups/site');
    expect(shellWord('--link-dest=/srv/x')).toBe('--link-dest=/srv/x');
    expect(shellWord('--exclude=*.tmp')).toBe("'--exclude=*.tmp'");
    expect(shellWord('a=b')).toBe("'a=b'");
  });

  it('renders secrets as required variable references, never values', () => {
    expect(
      commandLine({
        kind: 'exec',
        argv: ['mysqldump', 'db'],
        env: { MYSQL_PWD: { secret: 'POLYARCHIV_SECRET_DB' }, LANG: { literal: 'C' } },
      }),
    ).toBe('MYSQL_PWD="${POLYARCHIV_SECRET_DB:?}" LANG=C mysqldump db');
  });

  it('runs a command in its working directory without changing the script', () => {
    expect(commandLine({ kind: 'exec', argv: ['tar', '-cf', 'x.tar', '.'], cwd: '/srv/a b' })).toBe(
      "(cd -- '/srv/a b' && tar -cf x.tar .)",
    );
  });
});
