import { describe, expect, it } from 'vitest';
import { loadConfiguration } from '../../src/pipeline.js';
import { errorsOf, PINNED_HOST, PINNED_NOW } from '../helpers/diagnose.js';
import { makeSandbox } from '../helpers/sandbox.js';
import { CP, mirror } from './malformed-cases.js';

/** A collect point (lines 1-3) with one hook section starting on line 4. */
const hook = (lines: string) => ({ 'site.collect': `${CP}[hook "h"]\n${lines}` });

function resolved(files: Record<string, string>) {
  const box = makeSandbox();
  try {
    box.write(files);
    return loadConfiguration(box.root, PINNED_NOW, PINNED_HOST);
  } finally {
    box.remove();
  }
}

describe('hook sections', () => {
  it('accept every event, in .collect, .backup and .global files', () => {
    expect(
      errorsOf({
        ...mirror(
          'remote_url=/b/{name}\n[hook "done"]\nengine=command\nevents=backup_success\ncommand=true\n',
        ),
        'site.collect': `${CP}[hook "all"]\nengine=log\npath=/var/log/{name}.log\nevents=before_backup, backup_success, backup_error, after_backup, before_restore, restore_success, restore_error, after_restore\n`,
        'run.global': '[hook "g"]\nengine=command\nevents=after_backup\ncommand=logger done\n',
      }),
    ).toEqual([]);
  });

  it('refuse an unknown event at the line of events, with the closest name', () => {
    expect(errorsOf(hook('engine=command\ncommand=true\nevents=after_backup, backup_sucess\n'))).toEqual([
      "error: unknown event 'backup_sucess' in option 'events' (did you mean 'backup_success'?)\n  at site.collect:7 [hook \"h\"]",
    ]);
  });

  it('tell every mistake of a section at once: a refused value hides no unknown event', () => {
    expect(
      errorsOf(hook('engine=command\ncommand=true\nevents=after_bakup, backup_sucess\ntimeout=abc\n')),
    ).toEqual([
      "error: bad value for option 'timeout': 'abc' (expected an integer from 1 to 86400)\n  at site.collect:8 [hook \"h\"]",
      "error: unknown event 'after_bakup' in option 'events' (did you mean 'after_backup'?)\n  at site.collect:7 [hook \"h\"]",
      "error: unknown event 'backup_sucess' in option 'events' (did you mean 'backup_success'?)\n  at site.collect:7 [hook \"h\"]",
    ]);
  });

  it('require events, at least one', () => {
    expect(errorsOf(hook('engine=command\ncommand=true\n'))).toEqual([
      expect.stringContaining("error: missing required option 'events'"),
    ]);
    expect(errorsOf(hook('engine=command\ncommand=true\nevents= ,\n'))).toEqual([
      "error: bad value for option 'events': ',' (expected at least one item: the option is required)\n  at site.collect:7 [hook \"h\"]",
    ]);
  });

  it("refuse the run's variables where they cannot be filled at run time", () => {
    expect(errorsOf(hook('engine=command\nevents=after_backup\ncommand=echo {status}\n'))).toEqual([
      "error: variable '{status}' is not available in option 'command' (a command hook receives the run's variables in its environment (POLYARCHIV_STATUS...))\n  at site.collect:7 [hook \"h\"]",
    ]);
    expect(errorsOf(hook('engine=log\nevents=after_backup\npath=/var/log/{event}.log\n'))).toEqual([
      "error: variable '{event}' is not available in option 'path' (a log hook receives the run's variables in its environment (POLYARCHIV_STATUS...))\n  at site.collect:7 [hook \"h\"]",
    ]);
  });

  it('refuse a command line with an open quote', () => {
    expect(errorsOf(hook("engine=command\nevents=after_backup\ncommand=echo 'open\n"))).toEqual([
      'error: option \'command\' is not a command line (expected a program and its arguments, with balanced quotes)\n  at site.collect:7 [hook "h"]',
    ]);
  });

  it('refuse an unknown hook engine and a duplicate hook name', () => {
    expect(errorsOf(hook('engine=comand\nevents=after_backup\n'))).toEqual([
      "error: unknown hook engine 'comand' (did you mean 'command'?)\n  at site.collect:5 [hook \"h\"]",
    ]);
    expect(
      errorsOf({
        'run.global':
          '[hook "x"]\nengine=command\nevents=after_backup\ncommand=true\n[hook "x"]\nengine=command\nevents=after_backup\ncommand=true\n',
      }),
    ).toEqual([
      'error: duplicate section [hook "x"] (first defined on line 1)\n  at run.global:5 [hook "x"]',
    ]);
  });

  it("give a backup point's hooks the collect point's date and host variables, and the point's name", () => {
    const { config, diagnostics } = resolved(
      mirror(
        'remote_url=/b/{name}\n[hook "done"]\nengine=command\nevents=backup_success\ncommand=notify {name} {fqdn} {Y}-{m}-{d}\n',
      ),
    );
    expect(diagnostics.errors).toEqual([]);
    const [pair] = config.pairs;
    expect(pair?.hooks?.[0]?.options.string('command')).toBe('notify mirror web1.example.org 2026-03-10');
  });

  it('refuse a timeout outside 1 to 86400 seconds', () => {
    expect(errorsOf(hook('engine=command\nevents=after_backup\ncommand=true\ntimeout=0\n'))).toEqual([
      expect.stringContaining("error: bad value for option 'timeout': '0'"),
    ]);
  });
});
