import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { diagnose, errorsOf } from '../helpers/diagnose.js';
import { makeSandbox } from '../helpers/sandbox.js';
import {
  BACKUP_SECTIONS,
  COLLECT_SECTIONS,
  CP,
  FREQUENCY_FORMS,
  INNER_PATH,
  mirror,
  SITE,
  source,
} from './malformed-cases.js';

/** Malformed files and sections, several mistakes at once, warnings, Dovecot placement (targets: malformed-targets). */
describe('file structure', () => {
  it('rejects a duplicate section', () => {
    expect(errorsOf({ 'site.collect': `${CP}[point]\nengine=files\n` })).toEqual([
      'error: duplicate section [point] (first defined on line 1)\n  at site.collect:4 [point]',
    ]);
  });

  it('rejects a duplicate key', () => {
    expect(errorsOf({ 'site.collect': `${CP}local_path=/srv/other\n` })).toEqual([
      "error: duplicate option 'local_path' in [point] (first set on line 3)\n  at site.collect:4 [point]",
    ]);
  });

  it('rejects a duplicate key that differs only in case', () => {
    expect(errorsOf({ 'site.collect': `${CP}Local_Path=/srv/other\n` })).toEqual([
      "error: duplicate option 'local_path' in [point] (first set on line 3)\n  at site.collect:4 [point]",
    ]);
  });

  it('rejects two sources with the same name', () => {
    const d = 'engine=local_files\nsource_path=/a\ndestination_path=d\n';
    expect(errorsOf({ 'site.collect': `${CP}[source "d"]\n${d}[source d]\n${d}` })).toEqual([
      "error: duplicate source name 'd' (first defined on line 4)\n  at site.collect:8 [source d]",
    ]);
  });

  it('sends a [source] found in a .backup file to .collect files', () => {
    expect(errorsOf(mirror('remote_url=/b/{name}\n[source "x"]\nengine=local_files\n'))).toEqual([
      `error: section [source "x"] belongs in a .collect file, not in a .backup file (${BACKUP_SECTIONS})\n  at mirror.backup:4 [source "x"]`,
    ]);
  });

  it('sends a [global] found in a .collect file to .global files', () => {
    expect(errorsOf({ 'site.collect': `${CP}[global]\nrsync_executable=/bin/rsync\n` })).toEqual([
      `error: section [global] belongs in a .global file, not in a .collect file (${COLLECT_SECTIONS})\n  at site.collect:4 [global]`,
    ]);
  });

  it('sends a [variables "x"] found in a .collect file to .backup files', () => {
    expect(errorsOf({ 'site.collect': `${CP}[variables "x"]\na=b\n` })).toEqual([
      `error: section [variables "x"] belongs in a .backup file, not in a .collect file (${COLLECT_SECTIONS})\n  at site.collect:4 [variables "x"]`,
    ]);
  });

  it('rejects an unknown section', () => {
    expect(errorsOf({ 'site.collect': `${CP}[pointz]\na=b\n` })).toEqual([
      `error: unknown section [pointz] in a .collect file (${COLLECT_SECTIONS})\n  at site.collect:4 [pointz]`,
    ]);
  });

  it('rejects a [point] in a .global file', () => {
    expect(errorsOf({ 'tools.global': '[global]\nrsync_executable=/usr/bin/rsync\n[point]\n' })).toEqual([
      'error: unknown section [point] in a .global file (expected [global], [hook "NAME"] or [variables])\n  at tools.global:3 [point]',
    ]);
  });

  it('treats section names as case-sensitive: [Point] is not [point]', () => {
    expect(errorsOf({ 'site.collect': '[Point]\nengine=files\nlocal_path=/srv/cp\n' })).toEqual([
      `error: unknown section [Point] in a .collect file (${COLLECT_SECTIONS})\n  at site.collect:1 [Point]`,
      'error: missing [point] section (every .collect and .backup file defines one point)\n  at site.collect',
    ]);
  });

  it('rejects a section label of two words', () => {
    expect(errorsOf({ 'site.collect': `${CP}[source a b]\nengine=local_files\n` })[0]).toBe(
      'error: ambiguous section name [source a b]: expected exactly one name, e.g. [source "my name"]\n  at site.collect:4 [source a b]',
    );
  });

  // Known defect (src/config/resolve.ts, checkSectionKinds): the ambiguous section is reported a
  // second time as "unknown section [source a b]", which contradicts the first message.
  it('reports an ambiguous section name once', () => {
    expect(errorsOf({ 'site.collect': `${CP}[source a b]\nengine=local_files\n` })).toEqual([
      'error: ambiguous section name [source a b]: expected exactly one name, e.g. [source "my name"]\n  at site.collect:4 [source a b]',
    ]);
  });

  it('requires a [point] in a .collect file', () => {
    expect(errorsOf({ 'site.collect': '[variables]\na=b\n' })).toEqual([
      'error: missing [point] section (every .collect and .backup file defines one point)\n  at site.collect',
    ]);
  });

  it('requires a [point] in a .backup file', () => {
    expect(errorsOf({ ...SITE, 'm.backup': '[variables]\na=b\n' })).toEqual([
      'error: missing [point] section (every .collect and .backup file defines one point)\n  at m.backup',
    ]);
  });

  it('rejects an option before any section header', () => {
    expect(errorsOf({ 'site.collect': `engine=files\n${CP}` })).toEqual([
      'error: option before any section header (expected a line like [point])\n  at site.collect:1',
    ]);
  });

  it('rejects a line that is not key=value', () => {
    expect(errorsOf({ 'site.collect': `${CP}just some words\n` })).toEqual([
      "error: line is neither a section header, an option 'key = value' nor a comment\n  at site.collect:4",
    ]);
  });

  it.each([
    ['[source "www"', `error: section header [source "www" has no closing ']'`],
    ['[source "a=b"', `error: section header [source "a=b" has no closing ']'`],
    ['[]', 'error: section header [] has no name'],
  ])('rejects the broken header %s, and blames none of its options on the section above', (header, error) => {
    // Without its own section, the source's engine would be a duplicate of the point's.
    const text = `${CP}${header}\nengine=local_files\nsource_path=/a\n`;
    expect(diagnose({ 'site.collect': text })).toEqual([`${error}\n  at site.collect:4`]);
  });

  it('reads a header as configparser does, up to its last bracket, and warns of what follows', () => {
    const text = `[point] ; the site\nengine=files\nlocal_path=/srv/cp\n[source "a]b"]x\nengine=local_files\nsource_path=/a\ndestination_path=d\n`;
    expect(diagnose({ 'site.collect': text })).toEqual([
      'warning: text after the section header [point] is ignored: ; the site (a comment takes a line of its own, starting with # or ;)\n  at site.collect:1 [point]',
      'warning: text after the section header [source "a]b"] is ignored: x (a comment takes a line of its own, starting with # or ;)\n  at site.collect:4 [source "a]b"]',
    ]);
  });

  it('rejects an option with an empty name', () => {
    expect(errorsOf({ 'site.collect': `${CP}= value\n` })).toEqual([
      'error: option with an empty name\n  at site.collect:4 [point]',
    ]);
  });

  it('rejects a point name with braces, taken from the file name', () => {
    expect(errorsOf({ 'a{b}.collect': CP })).toEqual([
      "error: point name 'a{b}' (from the file name) contains control characters or braces (rename the file)\n  at a{b}.collect",
    ]);
  });
});

describe('several mistakes', () => {
  const broken = {
    'site.collect': [
      '[point]',
      'engine=files',
      'local_path=relative',
      'frequency=daily:25',
      '',
      '[source "d"]',
      'engine=local_files',
      'destination_path=../x',
      '[bogus]',
      '',
    ].join('\n'),
    'm.backup': '[point]\nengine=synchronize\nremote_url=gopher://h/{name}\nfrequency=sometimes\n',
  };
  const expected = [
    `error: unknown section [bogus] in a .collect file (${COLLECT_SECTIONS})\n  at site.collect:9 [bogus]`,
    "error: bad value for option 'local_path': 'relative' (expected an absolute path (starting with /, without '..'))\n  at site.collect:3 [point]",
    `error: bad value for option 'frequency': 'daily:25' (expected ${FREQUENCY_FORMS})\n  at site.collect:4 [point]`,
    `error: bad value for option 'destination_path': '../x' (expected ${INNER_PATH})\n  at site.collect:8 [source "d"]`,
    'error: missing required option \'source_path\' (Directory to back up.)\n  at site.collect:6 [source "d"]',
    `error: bad value for option 'frequency': 'sometimes' (expected ${FREQUENCY_FORMS})\n  at m.backup:4 [point]`,
    "error: remote_url 'gopher://h/m': gopher:// is not available in this version (use /path, file:///path, ssh://[user@]host[:port]/path, user@host:/path, http(s)://[user@]host[:port]/path (WebDAV), ftp(s)://[user@]host[:port]/path or s3://bucket/key)\n  at m.backup:3 [point]",
  ];

  it('reports every mistake of every file, not only the first', () => {
    // Order: files in load order; in a file, section-kind checks first, then each section's options.
    expect(errorsOf(broken)).toEqual(expected);
  });

  // Printed file by file (in load order), each file's by line: where a user fixes them.
  const printed = [1, 2, 4, 3, 0, 6, 5].map((i) => expected[i]);

  it('exits with 2 and lists every error on stderr from validate, each file in line order', () => {
    const sandbox = makeSandbox();
    try {
      sandbox.write(broken);
      const result = runCli(['validate', '-C', sandbox.root]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`${printed.join('\n')}\n7 errors: nothing was run or written\n`);
    } finally {
      sandbox.remove();
    }
  });
});

describe('warnings', () => {
  it('warns about an unknown option in a collect point, with a did-you-mean hint', () => {
    expect(diagnose({ 'site.collect': `${CP}frequncy=daily\n` })).toEqual([
      "warning: unknown option 'frequncy' is ignored (did you mean 'frequency'?)\n  at site.collect:4 [point]",
    ]);
  });

  it('warns about a misspelt engine option of a backup point, which then misses it', () => {
    expect(diagnose(mirror('remote_ulr=/b/{name}\n'))).toEqual([
      "warning: unknown option 'remote_ulr' is ignored (did you mean 'remote_url'?)\n  at mirror.backup:3 [point]",
      "error: missing required option 'remote_url' (Target directory: /var/backups/{name}, file:///var/backups/{name}, ssh://[user@]host[:port]/var/backups/{name}, user@host:/var/backups/{name}, https://host[:port]/dav/{name} (WebDAV), ftp(s)://host[:port]/backups/{name} or s3://bucket/backups/{name}; http(s) and ftp(s) URLs may name a user before the host (user@host), and a password after it, which is a secret. Include {name}: each collect point needs its own directory.)\n  at mirror.backup:1 [point]",
    ]);
  });

  it('warns about an unknown source option without a hint when nothing is close', () => {
    expect(
      diagnose(source('engine=local_files\nsource_path=/a\ndestination_path=d\nzzzzzzzzzz=1\n')),
    ).toEqual(['warning: unknown option \'zzzzzzzzzz\' is ignored\n  at site.collect:8 [source "d"]']);
  });

  it('says where an option of the sources belongs when it is written in the collect point', () => {
    expect(diagnose({ 'site.collect': `${CP}max_shrink_percent=10\n` })).toEqual([
      "warning: unknown option 'max_shrink_percent' is ignored (it is an option of sources: set it in each [source] section, or in [DEFAULT] for every section of this file)\n  at site.collect:4 [point]",
    ]);
  });

  it('says where an option of the collect point belongs when it is written in a source', () => {
    expect(
      diagnose(source('engine=local_files\nsource_path=/a\ndestination_path=d\nfrequency=daily\n')),
    ).toEqual([
      "warning: unknown option 'frequency' is ignored (it is an option of the collect point: set it in the file's [point] section)\n  at site.collect:8 [source \"d\"]",
    ]);
  });

  it('warns about an unknown option in [global]', () => {
    expect(diagnose({ 'tools.global': '[global]\nrsnc_executable=/usr/bin/rsync\n' })).toEqual([
      "warning: unknown option 'rsnc_executable' is ignored (did you mean 'rsync_executable'?)\n  at tools.global:2 [global]",
    ]);
  });

  it('warns about [variables "nosuchcp"] naming no collect point', () => {
    expect(diagnose(mirror('remote_url=/b/{name}\n\n[variables "nosuchcp"]\na=b\n'))).toEqual([
      'warning: [variables "nosuchcp"] names no collect point (collect points: site)\n  at mirror.backup:5 [variables "nosuchcp"]',
    ]);
  });

  it('warns that a keytab has no effect where ssh does not log in', () => {
    expect(diagnose(mirror('remote_url=/b/{name}\nkeytab=/etc/backup.keytab\n'))).toEqual([
      "warning: option 'keytab' has no effect: remote_url is a local path\n  at mirror.backup:4 [point]",
    ]);
    expect(diagnose(mirror('remote_url=https://dav.example/b/{name}\nkeytab=/etc/backup.keytab\n'))).toEqual([
      "warning: option 'keytab' has no effect: remote_url is not an ssh:// URL\n  at mirror.backup:4 [point]",
    ]);
    // Where ssh logs in, the keytab is used: no warning.
    expect(diagnose(mirror('remote_url=backup@host:/b/{name}\nkeytab=/etc/backup.keytab\n'))).toEqual([]);
  });

  it('warns that ssh_options has no effect on a local mirror', () => {
    expect(diagnose(mirror('remote_url=/b/{name}\nssh_options=-p 2222\n'))).toEqual([
      "warning: option 'ssh_options' has no effect: remote_url is a local path\n  at mirror.backup:4 [point]",
    ]);
  });
});

describe('dovecot placement', () => {
  it('rejects a collect point path with white space, which doveadm cannot carry', () => {
    expect(
      errorsOf({
        'site.collect': '[point]\nengine=files\nlocal_path=/srv/my cp\n[source "mail"]\nengine=dovecot\n',
      }),
    ).toEqual([
      'error: the collect point\'s directory /srv/my cp/backups holds white space, which the copy command of source "mail" cannot carry (doveadm splits its copy command on spaces: use a local_path without white space, or set socket)\n  at site.collect:4 [source "mail"]',
    ]);
  });
});
