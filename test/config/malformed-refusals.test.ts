import { symlinkSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BACKUP_POINT_OPTIONS, COLLECT_POINT_OPTIONS } from '../../src/config/common-options.js';
import { formatDiagnostic } from '../../src/diag/diagnostic.js';
import { ENGINES } from '../../src/engines/registry.js';
import { convertOption } from '../../src/options/option-value.js';
import { loadConfiguration } from '../../src/pipeline.js';
import { errorsOf, PINNED_HOST, PINNED_NOW } from '../helpers/diagnose.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { CP, FREQUENCY_FORMS, SITE, source } from './malformed-cases.js';

const pgSource = (name: string, password: string) =>
  `[source "${name}"]\nengine=postgresql\ndatabase=shop\npassword=${password}\ndestination_path=${name}.sql\n`;
const collect = (path: string, sources: string) => `[point]\nengine=files\nlocal_path=${path}\n${sources}`;

/** Configurations that would run, but do harm or fail later: refused at load, with file and line. */
describe('secrets', () => {
  it('refuses two secrets whose variable names would be the same', () => {
    expect(
      errorsOf({
        'a-b.collect': collect('/srv/ab', pgSource('c', 'one')),
        'a.collect': collect('/srv/a', pgSource('b-c', 'two')),
      }),
    ).toEqual([
      'error: this secret and the one at a-b.collect:7 [source "c"] would share the variable POLYARCHIV_SECRET_A_B_C_PASSWORD (rename the collect point or the source so that their names differ in more than case and punctuation)\n  at a.collect:7 [source "b-c"]',
    ]);
  });

  it('refuses two sources whose names differ only in case', () => {
    expect(
      errorsOf({ 'site.collect': collect('/srv/site', `${pgSource('db', 'one')}${pgSource('DB', 'two')}`) }),
    ).toEqual([
      'error: this secret and the one at site.collect:7 [source "db"] would share the variable POLYARCHIV_SECRET_SITE_DB_PASSWORD (rename the collect point or the source so that their names differ in more than case and punctuation)\n  at site.collect:12 [source "DB"]',
    ]);
  });
});

/** Resolves a configuration directory prepared by `prepare`; its diagnostics as the CLI prints them. */
function diagnoseDir(prepare: (box: Sandbox) => void): string[] {
  const box = makeSandbox();
  try {
    prepare(box);
    return loadConfiguration(box.root, PINNED_NOW, PINNED_HOST).diagnostics.items.map(formatDiagnostic);
  } finally {
    box.remove();
  }
}

describe('configuration files', () => {
  it('refuses a file that is not UTF-8, naming the line', () => {
    expect(
      diagnoseDir((box) =>
        writeFileSync(
          box.path('site.collect'),
          Buffer.from('[point]\nengine=files\nlocal_path=/srv/caf\xe9\n', 'latin1'),
        ),
      ),
    ).toEqual(['error: not valid UTF-8 (save the file as UTF-8)\n  at site.collect:3']);
  });

  it('accepts a UTF-8 byte-order mark', () => {
    expect(errorsOf({ 'site.collect': `\uFEFF${CP}` })).toEqual([]);
  });

  it('refuses a dangling symbolic link and a symbolic link loop', () => {
    expect(
      diagnoseDir((box) => {
        box.write(SITE);
        symlinkSync(box.path('nowhere.backup'), box.path('gone.backup'));
        symlinkSync(box.path('loop.backup'), box.path('loop.backup'));
      }),
    ).toEqual([
      'error: cannot read gone.backup: a symbolic link to nothing\n  at gone.backup',
      'error: cannot read loop.backup: a symbolic link loop\n  at loop.backup',
    ]);
  });

  it('refuses an empty configuration directory', () => {
    expect(diagnoseDir(() => {})).toEqual([
      expect.stringMatching(
        /^error: no \*\.global, \*\.collect or \*\.backup file in \S+: nothing to do \(use -C DIR to choose the configuration directory\)$/,
      ),
    ]);
  });
});

describe('values out of range', () => {
  const pg = (line: string) => source(`engine=postgresql\ndatabase=shop\n${line}\n`);
  it.each([
    ['max_shrink_percent=101', 'an integer from 0 to 100'],
    ['max_shrink_percent=-1', 'an integer from 0 to 100'],
    ['port=0', 'an integer from 1 to 65535'],
    ['port=65536', 'an integer from 1 to 65535'],
    ['port=99999999999999999999999', 'an integer from 1 to 65535'],
  ])('refuses %s', (line, expected) => {
    const [name, value] = line.split('=');
    expect(errorsOf(pg(line))).toEqual([
      `error: bad value for option '${name}': '${value}' (expected ${expected})\n  at site.collect:7 [source "d"]`,
    ]);
  });

  it('refuses a frequency in seconds beyond a hundred years', () => {
    expect(errorsOf({ 'site.collect': `${CP}frequency=99999999999999999999\n` })).toEqual([
      `error: bad value for option 'frequency': '99999999999999999999' (expected ${FREQUENCY_FORMS})\n  at site.collect:4 [point]`,
    ]);
  });

  it('refuses a name longer than a filesystem takes, showing a long value by its ends', () => {
    const long = 'a'.repeat(5000);
    expect(errorsOf(source(`engine=local_files\nsource_path=/srv\ndestination_path=x/${long}\n`))).toEqual([
      `error: bad value for option 'destination_path': 'x/${'a'.repeat(58)}...(5002 characters)...${'a'.repeat(60)}' (expected a path of at most 4095 bytes)\n  at site.collect:7 [source "d"]`,
    ]);
    expect(
      errorsOf(source(`engine=local_files\nsource_path=/srv/${'é'.repeat(128)}\ndestination_path=d\n`)),
    ).toEqual([
      `error: bad value for option 'source_path': '/srv/${'é'.repeat(128)}' (expected names of at most 255 bytes between the slashes (one has 256))\n  at site.collect:6 [source "d"]`,
    ]);
    expect(
      errorsOf(source(`engine=local_files\nsource_path=/srv/${'é'.repeat(127)}\ndestination_path=d\n`)),
    ).toEqual([]);
  });

  it('refuses an empty required option', () => {
    expect(errorsOf(source('engine=postgresql\ndatabase =\n'))).toEqual([
      "error: bad value for option 'database': '' (expected a value: the option is required)\n  at site.collect:6 [source \"d\"]",
    ]);
  });

  it('gives every integer option a range, and every required option a value', () => {
    const specs = [
      ...ENGINES.flatMap((engine) => engine.options),
      ...COLLECT_POINT_OPTIONS,
      ...BACKUP_POINT_OPTIONS,
    ];
    expect(specs.filter((s) => s.type === 'integer' && s.range === undefined).map((s) => s.name)).toEqual([]);
    for (const spec of specs.filter((s) => s.required))
      expect(convertOption(spec, '').ok, spec.name).toBe(false);
  });
});

describe('backup points associated with no collect point', () => {
  const orphan = (lines: string) => ({
    'm.backup': `[point]\nengine=synchronize\nexcluded_collect_point_tags=*\n${lines}`,
  });
  it.each([
    ['without remote_url', '', "error: missing required option 'remote_url'"],
    [
      'with an unknown variable',
      'remote_url=/b/{nope}\n',
      "error: unknown variable '{nope}' in option 'remote_url'",
    ],
    ['with a control character', 'remote_url=/b/\x01{name}\n', "error: bad value for option 'remote_url'"],
    ['with a continuation line', 'remote_url=/b/\n  {name}\n', "error: bad value for option 'remote_url'"],
  ])('reports one diagnostic %s', (_, lines, start) => {
    const errors = errorsOf({ ...SITE, ...orphan(lines) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(`^${start.replace(/[{}()[\]]/g, '\\$&')}.*\\n  at m\\.backup:\\d+ \\[point\\]$`, 's'),
    );
  });
});

describe('sources that would copy their own backups', () => {
  const files = (sourcePath: string, remoteUrl: string) => ({
    'site.collect': `${CP}[source "d"]\nengine=local_files\nsource_path=${sourcePath}\ndestination_path=d\n`,
    'm.backup': `[point]\nengine=synchronize\nremote_url=${remoteUrl}\n`,
  });
  it('refuses a source that contains a mirror of its collect point', () => {
    expect(errorsOf(files('/srv', '/srv/mirror/{name}'))).toEqual([
      'error: source "d" (/srv) contains backup point m of site (/srv/mirror/site) (every run would copy the previous backup into the next one, one level deeper)\n  at site.collect:6 [source "d"]',
    ]);
  });

  it('refuses a source inside a mirror', () => {
    expect(errorsOf(files('/backups/site/data', '/backups/{name}'))).toEqual([
      'error: source "d" (/backups/site/data) is inside backup point m of site (/backups/site) (each backup replaces that directory: back up the original directory instead)\n  at site.collect:6 [source "d"]',
    ]);
  });

  it('refuses a local remote_files source inside its collect point', () => {
    expect(
      errorsOf({
        'site.collect': `${CP}[source "r"]\nengine=remote_files\nsource_url=file:///srv/cp/x\ndestination_path=r\n`,
      }),
    ).toEqual([
      'error: source "r" (/srv/cp/x) is inside collect point site (/srv/cp) (a collect point cannot back itself up)\n  at site.collect:6 [source "r"]',
    ]);
  });
});
