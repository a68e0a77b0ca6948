import { describe, expect, it } from 'vitest';
import { errorsOf } from '../helpers/diagnose.js';
import { BUILTINS, CP, FREQUENCY_FORMS, INNER_PATH, mirror, source } from './malformed-cases.js';

/** Malformed option values, frequencies and variables, with their exact diagnostics (engines: malformed-engines). */
describe('option values', () => {
  it('names the missing required option with its help text', () => {
    expect(errorsOf({ 'site.collect': '[point]\nengine=files\n' })).toEqual([
      "error: missing required option 'local_path' (Directory of the collect point.)\n  at site.collect:1 [point]",
    ]);
  });

  it('reports every missing option of a source, at its section header', () => {
    expect(errorsOf(source('engine=local_files\n'))).toEqual([
      'error: missing required option \'source_path\' (Directory to back up.)\n  at site.collect:4 [source "d"]',
      'error: missing required option \'destination_path\' (Sub-directory of the collect point that receives the copy, e.g. "files".)\n  at site.collect:4 [source "d"]',
    ]);
  });

  it('requires remote_url in a synchronize backup point', () => {
    expect(errorsOf(mirror(''))).toEqual([
      "error: missing required option 'remote_url' (Target directory: /var/backups/{name}, file:///var/backups/{name}, ssh://[user@]host[:port]/var/backups/{name}, user@host:/var/backups/{name}, https://host[:port]/dav/{name} (WebDAV), ftp(s)://host[:port]/backups/{name} or s3://bucket/backups/{name}; http(s) and ftp(s) URLs may name a user before the host (user@host), and a password after it, which is a secret. Include {name}: each collect point needs its own directory.)\n  at mirror.backup:1 [point]",
    ]);
  });

  it('rejects a boolean that is none of the accepted words', () => {
    expect(
      errorsOf(source('engine=local_files\nsource_path=/a\ndestination_path=d\npreserve_hard_links=maybe\n')),
    ).toEqual([
      "error: bad value for option 'preserve_hard_links': 'maybe' (expected one of 1, ok, yes, true, on, 0, no, false, off)\n  at site.collect:8 [source \"d\"]",
    ]);
  });

  it.each([
    ['yse', 'yes'],
    ['flase', 'false'],
  ])('suggests the boolean word a slip hides: %s -> %s', (value, guess) => {
    expect(
      errorsOf(
        source(`engine=local_files\nsource_path=/a\ndestination_path=d\npreserve_hard_links=${value}\n`),
      ),
    ).toEqual([
      `error: bad value for option 'preserve_hard_links': '${value}' (did you mean '${guess}'? expected one of 1, ok, yes, true, on, 0, no, false, off)\n  at site.collect:8 [source "d"]`,
    ]);
  });

  it("guesses no boolean word as close to a yes as to a no: 'of' may be on or off", () => {
    expect(
      errorsOf(source('engine=local_files\nsource_path=/a\ndestination_path=d\npreserve_hard_links=of\n')),
    ).toEqual([
      "error: bad value for option 'preserve_hard_links': 'of' (expected one of 1, ok, yes, true, on, 0, no, false, off)\n  at site.collect:8 [source \"d\"]",
    ]);
  });

  it('rejects a relative local_path', () => {
    expect(errorsOf({ 'site.collect': '[point]\nengine=files\nlocal_path=srv/cp\n' })).toEqual([
      "error: bad value for option 'local_path': 'srv/cp' (expected an absolute path (starting with /, without '..'))\n  at site.collect:3 [point]",
    ]);
  });

  it('rejects a relative source_path', () => {
    expect(errorsOf(source('engine=local_files\nsource_path=data\ndestination_path=d\n'))).toEqual([
      "error: bad value for option 'source_path': 'data' (expected an absolute path (starting with /, without '..'))\n  at site.collect:6 [source \"d\"]",
    ]);
  });

  it('rejects a destination_path that climbs out of the collect point with ..', () => {
    expect(
      errorsOf(source('engine=local_files\nsource_path=/a\ndestination_path=files/../../etc\n')),
    ).toEqual([
      `error: bad value for option 'destination_path': 'files/../../etc' (expected ${INNER_PATH})\n  at site.collect:7 [source "d"]`,
    ]);
  });

  it('rejects an absolute destination_path', () => {
    expect(errorsOf(source('engine=local_files\nsource_path=/a\ndestination_path=/etc\n'))).toEqual([
      `error: bad value for option 'destination_path': '/etc' (expected ${INNER_PATH})\n  at site.collect:7 [source "d"]`,
    ]);
  });

  it('rejects a destination_path that is the collect point itself', () => {
    expect(errorsOf(source('engine=local_files\nsource_path=/a\ndestination_path=./\n'))).toEqual([
      `error: bad value for option 'destination_path': './' (expected ${INNER_PATH})\n  at site.collect:7 [source "d"]`,
    ]);
  });

  it('rejects a tab inside a path, shown as \\t', () => {
    expect(errorsOf({ 'site.collect': '[point]\nengine=files\nlocal_path=/srv/a\tb\n' })).toEqual([
      "error: bad value for option 'local_path': '/srv/a\\tb' (expected a value without control characters (tab, escape...))\n  at site.collect:3 [point]",
    ]);
  });

  it('says that an indented line continues the value above it, and where several patterns go', () => {
    expect(
      errorsOf({
        'site.collect':
          '[point]\nengine=files\nlocal_path=/srv/a\n[source "d"]\nengine=local_files\nsource_path=/d\ndestination_path=d\nexclude=*.tmp\n  *.bak\n',
      }),
    ).toEqual([
      "error: bad value for option 'exclude': '*.tmp\\n*.bak' (expected a value on one line (an indented line continues the option above it: unindent a line meant as an option of its own; several patterns go one per line in a file given as @FILE))\n  at site.collect:8 [source \"d\"]",
    ]);
  });

  it('rejects a tab that a variable brings into a path, showing the value before and after', () => {
    expect(
      errorsOf({ 'site.collect': '[point]\nengine=files\nlocal_path=/srv/{x}\n[variables]\nx=a\tb\n' }),
    ).toEqual([
      "error: bad value for option 'local_path': '/srv/{x}' (= '/srv/a\\tb') (expected a value without control characters (tab, escape...))\n  at site.collect:3 [point]",
    ]);
  });
});

describe('frequencies', () => {
  it.each([
    ['daily:24', 'an hour past 23'],
    ['weekly:7', 'a weekday past 6 (Sunday)'],
    ['monthly:0', 'day 0 of a month'],
    ['monthly:32', 'day 32 of a month'],
    ['fortnightly', 'an unknown word'],
    ['3600s', 'seconds with a unit'],
    ['-5', 'a negative number of seconds'],
    ['daily:', 'a colon without an hour'],
  ])('rejects frequency=%s (%s)', (value) => {
    expect(errorsOf({ 'site.collect': `${CP}frequency=${value}\n` })).toEqual([
      `error: bad value for option 'frequency': '${value}' (expected ${FREQUENCY_FORMS})\n  at site.collect:4 [point]`,
    ]);
  });

  it.each([
    ['dayly', 'daily'],
    ['Daily', 'daily'],
    ['weekley:2', 'weekly:2'],
    ['montly:15', 'monthly:15'],
    ['allways', 'always'],
  ])('suggests the frequency a slip of the keyboard hides: %s -> %s', (value, guess) => {
    expect(errorsOf({ 'site.collect': `${CP}frequency=${value}\n` })).toEqual([
      `error: bad value for option 'frequency': '${value}' (did you mean '${guess}'? expected ${FREQUENCY_FORMS})\n  at site.collect:4 [point]`,
    ]);
  });

  it('suggests no frequency whose argument would still be wrong', () => {
    expect(errorsOf({ 'site.collect': `${CP}frequency=dayly:24\n` })).toEqual([
      `error: bad value for option 'frequency': 'dayly:24' (expected ${FREQUENCY_FORMS})\n  at site.collect:4 [point]`,
    ]);
  });

  it('rejects a bad frequency of a backup point that no collect point uses', () => {
    expect(
      errorsOf({ 'm.backup': '[point]\nengine=synchronize\nremote_url=/b/{name}\nfrequency=weekly:9\n' }),
    ).toEqual([
      `error: bad value for option 'frequency': 'weekly:9' (expected ${FREQUENCY_FORMS})\n  at m.backup:4 [point]`,
    ]);
  });

  // Known defect (src/config/resolve.ts, resolveBackupPoint): the common options are resolved once
  // without and then once per associated collect point with a "(for collect point ...)" context, so
  // the same mistake is reported twice with two different messages.
  it('reports a bad frequency of an associated backup point once', () => {
    expect(errorsOf(mirror('remote_url=/b/{name}\nfrequency=sometimes\n'))).toEqual([
      `error: bad value for option 'frequency': 'sometimes' (expected ${FREQUENCY_FORMS})\n  at mirror.backup:4 [point]`,
    ]);
  });
});

describe('variables', () => {
  it('lists the known variables for an unknown one', () => {
    expect(errorsOf({ 'site.collect': '[point]\nengine=files\nlocal_path=/srv/{nme}\n' })).toEqual([
      `error: unknown variable '{nme}' in option 'local_path': '/srv/{nme}' (did you mean '{name}'? known variables: ${BUILTINS})\n  at site.collect:3 [point]`,
    ]);
  });

  it('suggests the variable that differs only in case', () => {
    expect(errorsOf({ 'site.collect': '[point]\nengine=files\nlocal_path=/srv/{Name}\n' })).toEqual([
      "error: unknown variable '{Name}' in option 'local_path': '/srv/{Name}' (did you mean '{name}'?)\n  at site.collect:3 [point]",
    ]);
  });

  it('lower-cases user variable names, as configparser does', () => {
    expect(
      errorsOf({ 'site.collect': '[point]\nengine=files\nlocal_path=/srv/{MyVar}\n[variables]\nMyVar=x\n' }),
    ).toEqual([
      "error: unknown variable '{MyVar}' in option 'local_path': '/srv/{MyVar}' (did you mean '{myvar}'?)\n  at site.collect:3 [point]",
    ]);
  });

  it('reports an unknown variable of a backup point for the collect point it is rendered for', () => {
    expect(errorsOf(mirror('remote_url=/b/{group}/{name}\n'))).toEqual([
      `error: unknown variable '{group}' in option 'remote_url' (for collect point 'site'): '/b/{group}/{name}' (known variables: ${BUILTINS})\n  at mirror.backup:3 [point]`,
    ]);
  });

  it('reports an unmatched opening brace', () => {
    expect(errorsOf({ 'site.collect': '[point]\nengine=files\nlocal_path=/srv/{name\n' })).toEqual([
      "error: unmatched '{' in option 'local_path': '/srv/{name' (write {{ for a literal brace)\n  at site.collect:3 [point]",
    ]);
  });

  it('reports an unmatched closing brace', () => {
    expect(errorsOf({ 'site.collect': '[point]\nengine=files\nlocal_path=/srv/name}\n' })).toEqual([
      "error: unmatched '}' in option 'local_path': '/srv/name}' (write }} for a literal brace)\n  at site.collect:3 [point]",
    ]);
  });

  it('rejects Python format specs, which the configs do not use', () => {
    expect(errorsOf({ 'site.collect': '[point]\nengine=files\nlocal_path=/srv/{name:>10}\n' })).toEqual([
      "error: invalid variable reference '{name:>10}' in option 'local_path': '/srv/{name:>10}' (expected {name}; write {{ for a literal brace)\n  at site.collect:3 [point]",
    ]);
  });
});
