import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LDIF_EXPORT_END } from '../../src/engines/sources/ldap.js';
import { runCli } from '../helpers/cli.js';
import { haveLdapTools, ldapCollect, runScript, useLdapCase } from '../helpers/ldap-case.js';
import { writeExecutable } from '../servers/postgresql.js';

const canRun = haveLdapTools();

describe.runIf(canRun)('the ldap source against a real OpenLDAP slapd: failures and dry runs', () => {
  const t = useLdapCase();

  /** A restore from the collect point as it is, through each backend. */
  const restoresFromCollectPoint = () => ({
    apply: () => runCli(['restore', '--yes', '--skip-backup', ...t.args]),
    script: () => {
      const run = runScript(t.box, runCli(['plan', '--restore', '--skip-backup', ...t.args]).stdout);
      return { code: run.status, stderr: run.stderr };
    },
  });

  it('keeps the previous good export when slapcat fails, is killed or writes a suspicious export', () => {
    const { box, args, source, writeConfig, dumpFile } = t;
    expect(runCli(['backup', ...args]).code).toBe(0);
    const good = readFileSync(dumpFile(), 'utf8');
    writeExecutable(box.path('killed_slapcat'), '#!/bin/sh\necho "dn: half"\nkill -KILL $$\n');
    writeConfig(source([`dump_executable = ${box.path('killed_slapcat')}`]));
    const killed = runCli(['backup', ...args]);
    expect(killed.code).toBe(1);
    expect(killed.stderr).toMatch(/failed +collect:site/);
    expect(readFileSync(dumpFile(), 'utf8')).toBe(good);

    // A slapcat that exits 0 yet stops inside an entry, or between two (then only the shrink shows).
    writeExecutable(box.path('short_slapcat'), '#!/bin/bash\nset -o pipefail\nslapcat "$@" | head -c 200\n');
    writeConfig(source([`dump_executable = ${box.path('short_slapcat')}`]));
    const cut = runCli(['backup', ...args]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain(
      'polyarchiv:   the export ends inside an entry (its last line is not blank): it was cut; the previous export is kept',
    );
    expect(readFileSync(dumpFile(), 'utf8')).toBe(good);
    const firstEntry = good.slice(0, good.indexOf('\n\n') + 2);
    writeFileSync(box.path('first.ldif'), firstEntry);
    writeExecutable(box.path('short_slapcat'), `#!/bin/sh\ncat '${box.path('first.ldif')}'\n`);
    writeConfig(source([`dump_executable = ${box.path('short_slapcat')}`, 'on_suspicious_dump = fail']));
    const shrunk = runCli(['backup', ...args]);
    expect(shrunk.code).toBe(1);
    expect(shrunk.stderr).toMatch(
      /warning: dump .*ldap\.ldif\.partial shrank by more than \d+%: bytes: \d+ before, \d+ now/,
    );
    expect(readFileSync(dumpFile(), 'utf8')).toBe(good);

    writeExecutable(box.path('empty_slapcat'), '#!/bin/sh\nexit 0\n');
    writeConfig(source([`dump_executable = ${box.path('empty_slapcat')}`]));
    // The dump is kept with a warning, but the mirror's copy guard refuses to let it replace the
    // good copy of a much larger one: that takes --allow-shrink.
    const empty = runCli(['backup', ...args]);
    expect(empty.code, empty.stderr).toBe(1);
    expect(empty.stderr).toMatch(/warning: dump .*ldap\.ldif\.partial is empty/);
    expect(empty.stderr).toMatch(/would shrink by more than 50%/);
    expect(runCli(['backup', '--allow-shrink', ...args]).code).toBe(0);
  });

  it('refuses an empty export, or one cut between two entries, before the question and before stopping slapd, in both backends', () => {
    const { slapd, box, args, source, writeConfig, dumpFile } = t;
    expect(runCli(['backup', ...args]).code).toBe(0);
    const whole = readFileSync(dumpFile(), 'utf8');
    const entries = whole.split('\n').filter((line) => line.startsWith('dn:')).length;
    expect(whole.endsWith(`\n\n${LDIF_EXPORT_END}, ${entries} entries\n`)).toBe(true);
    // What a dumper stopped between two entries leaves: whole entries, each LDIF by itself.
    const cut = whole.slice(0, whole.indexOf('\n\ndn:', whole.length / 2) + 2);
    expect(cut).toMatch(/\n\n$/);
    const stopped = box.path('stopped');
    writeExecutable(box.path('stop'), `#!/bin/sh\ntouch '${stopped}'\nexec ${slapd.stopCommand}\n`);
    writeConfig(
      source([`stop_command = ${box.path('stop')}`]).filter(
        (l) => !l.startsWith(`stop_command = ${slapd.stopCommand}`),
      ),
    );
    const backends = restoresFromCollectPoint();
    const problems: Record<string, [string, string]> = {
      empty: ['', 'is empty'],
      cut: [cut, `is incomplete: no line of its last 4096 bytes starts with '${LDIF_EXPORT_END}'`],
    };
    // An entry lost from the middle, the end line kept: its count tells.
    const second = whole.indexOf('\n\ndn:') + 2;
    const missing = whole.slice(0, second) + whole.slice(whole.indexOf('\n\ndn:', second) + 2);
    for (const [backend, restore] of Object.entries(backends)) {
      for (const [name, [text, problem]] of Object.entries(problems)) {
        writeFileSync(dumpFile(), text);
        const run = restore();
        expect({ backend, name, code: run.code }).toEqual({ backend, name, code: 1 });
        expect(run.stderr).toContain(`polyarchiv:   dump ${dumpFile()} ${problem}`);
        expect(run.stderr).toContain(
          'refused: nothing was changed; run with --allow-shrink if this is expected',
        );
        expect(run.stderr).toMatch(
          /failed with exit code 1: step 2 of 8 at site\.collect:\d+ \[source "directory"\]/,
        );
        expect(run.stderr).not.toContain('confirm that restoring');
        expect(existsSync(stopped)).toBe(false);
        expect(slapd.contents()).toBe(t.sample);
      }
      writeFileSync(dumpFile(), missing);
      const run = restore();
      expect({ backend, code: run.code }).toEqual({ backend, code: 1 });
      expect(run.stderr).toContain(`${dumpFile()}: ${entries - 1} entries, its end line counts ${entries}\n`);
      expect(run.stderr).toContain(
        "polyarchiv:   the export's entries are not those its end line counts: it was changed or damaged since the backup; nothing was changed",
      );
      expect(run.stderr).toMatch(
        /failed with exit code 3: step 3 of 8 at site\.collect:\d+ \[source "directory"\]/,
      );
      expect(run.stderr).not.toContain('confirm that restoring');
      expect(existsSync(stopped)).toBe(false);
      expect(slapd.contents()).toBe(t.sample);
    }
    // An export without the end line (one written before it existed) loads with --allow-shrink.
    writeFileSync(dumpFile(), whole.slice(0, whole.lastIndexOf(LDIF_EXPORT_END)));
    const old = runCli(['restore', '--yes', '--skip-backup', '--allow-shrink', ...args]);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stderr).toContain('accepted: --allow-shrink');
    expect(slapd.contents()).toBe(t.sample);
  });

  it('refuses to restore under a slapd still running on the database, in both backends; with slapd stopped by hand, restores', () => {
    const { slapd, args, source, writeConfig, wipe } = t;
    expect(runCli(['backup', ...args]).code).toBe(0);
    // No stop or start command: whoever restores stops slapd (or forgot to).
    writeConfig(
      source()
        .filter((l) => !l.startsWith('stop_command') && !l.startsWith('start_command'))
        .concat(['stop_command =', 'start_command =']),
    );
    const files = () => readdirSync(slapd.dataDir).sort();
    const before = files();
    const backends = restoresFromCollectPoint();
    wipe();
    const wiped = slapd.contents();
    for (const [backend, restore] of Object.entries(backends)) {
      const run = restore();
      expect({ backend, code: run.code }).toEqual({ backend, code: 1 });
      expect(run.stderr).toMatch(
        new RegExp(
          `process \\d+ \\(slapd\\) has files in ${slapd.dataDir} open: the service still runs \\(its stop command is empty, did not stop it, or returned before it ended\\), and would go on with its files moved away from under it; stop it first: nothing was changed, and the start command is not run`,
        ),
      );
      expect(slapd.isRunning()).toBe(true);
      expect(files()).toEqual(before);
      expect(slapd.contents()).toBe(wiped);
    }
    for (const [backend, restore] of Object.entries(backends)) {
      if (slapd.contents() === t.sample) wipe();
      slapd.stop();
      const run = restore();
      expect({ backend, code: run.code }, run.stderr).toEqual({ backend, code: 0 });
      slapd.start();
      expect(slapd.contents()).toBe(t.sample);
    }
  });

  it('changes nothing and starts nothing when the stop command fails or leaves slapd running, in both backends', () => {
    const { slapd, box, args, source, writeConfig, wipe } = t;
    expect(runCli(['backup', ...args]).code).toBe(0);
    // A start command that launches slapd itself: run beside the slapd that was never stopped, it
    // would start a second one.
    const started = box.path('started');
    writeExecutable(box.path('start'), `#!/bin/sh\ntouch '${started}'\nexec ${slapd.startCommand}\n`);
    const stops = {
      failing: '#!/bin/sh\necho "Failed to stop slapd.service: Unit slapd.service not loaded." >&2\nexit 5\n',
      lying: '#!/bin/sh\nexit 0\n',
    };
    const backends = restoresFromCollectPoint();
    wipe();
    const wiped = slapd.contents();
    const files = () => readdirSync(slapd.dataDir).sort();
    const before = files();
    for (const [name, stop] of Object.entries(stops)) {
      writeExecutable(box.path('stop'), stop);
      const lines = source()
        .filter((l) => !l.startsWith('stop_command') && !l.startsWith('start_command'))
        .concat([`stop_command = ${box.path('stop')}`, `start_command = ${box.path('start')}`]);
      writeConfig(lines);
      const stopLine =
        readFileSync(box.path('config/site.collect'), 'utf8')
          .split('\n')
          .findIndex((l) => l.startsWith('stop_command')) + 1;
      for (const [backend, restore] of Object.entries(backends)) {
        const run = restore();
        expect({ name, backend, code: run.code }).toEqual({ name, backend, code: 1 });
        if (name === 'failing') {
          expect(run.stderr).toContain('Failed to stop slapd.service: Unit slapd.service not loaded.');
          expect(run.stderr).toContain(
            `polyarchiv:   the stop command (stop_command at site.collect:${stopLine} [source "directory"]) failed with exit code 5, its output above: the service was not stopped; ${slapd.dataDir} is left as it is and the start command is not run`,
          );
        } else {
          expect(run.stderr).toMatch(
            new RegExp(
              `process \\d+ \\(slapd\\) has files in ${slapd.dataDir} open: the service still runs .*nothing was changed, and the start command is not run`,
            ),
          );
        }
        expect(existsSync(started)).toBe(false);
        expect(slapd.isRunning()).toBe(true);
        expect(files()).toEqual(before);
        expect(slapd.contents()).toBe(wiped);
      }
    }
  });

  it('runs nothing with --dry, and shows the commands it runs', () => {
    const { slapd, box, args, source, writeConfig } = t;
    const log = box.path('argv.log');
    const logged = (tool: string) =>
      writeExecutable(
        box.path(`logged_${tool}`),
        `#!/bin/sh\necho "${tool} $*" >> '${log}'\nexec ${tool} "$@"\n`,
      );
    logged('slapcat');
    logged('slapadd');
    writeConfig(
      source([
        `dump_executable = ${box.path('logged_slapcat')}`,
        `restore_executable = ${box.path('logged_slapadd')}`,
      ]),
    );
    for (const command of ['backup', 'restore']) {
      const dry = runCli([command, '--dry', ...(command === 'restore' ? ['--from', 'mirror'] : []), ...args]);
      expect(dry.stderr).toContain(`logged_${command === 'backup' ? 'slapcat' : 'slapadd'}`);
      expect(existsSync(log)).toBe(false);
      expect(existsSync(box.path('collect'))).toBe(false);
      expect(slapd.isRunning()).toBe(true);
    }
    const shown = runCli(['backup', '--show-commands', ...args]);
    expect(shown.code, shown.stderr).toBe(0);
    const ran = readFileSync(log, 'utf8')
      .trim()
      .replace(/^slapcat /, '');
    expect(ran).toBe(`-F ${slapd.configDir} -n 1`);
    expect(shown.stderr).toContain(`/logged_slapcat ${ran} | awk `);
    expect(shown.stderr).toContain(`printf \\"${LDIF_EXPORT_END}, %d entries`);
  });

  it('names the failing source and its line, and still runs the other points', () => {
    const { slapd, box, args, source, writeConfig } = t;
    writeConfig(source(), {
      'config/wrongdb.collect': ldapCollect(source(['database = 7'])),
      'config/noconfig.collect': ldapCollect(
        source().map((l) => l.replace(slapd.configDir, '/nonexistent/slapd.d')),
      ),
      'config/missingtool.collect': ldapCollect(source(['dump_executable = /nonexistent/slapcat'])),
    });
    const run = runCli(['backup', ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ok +collect:site/);
    expect(run.stderr).toMatch(/ok +backup:mirror\/site/);
    for (const name of ['wrongdb', 'noconfig', 'missingtool']) {
      expect(run.stderr).toMatch(
        new RegExp(
          `failed with exit code \\d+: step \\d+ of \\d+ at ${name}\\.collect:\\d+ \\[source "directory"\\]`,
        ),
      );
      expect(run.stderr).toMatch(new RegExp(`failed +collect:${name} `));
      expect(run.stderr).toMatch(new RegExp(`skipped +backup:mirror/${name} `));
      expect(existsSync(box.path(`collect/${name}/backups/ldap.ldif`))).toBe(false);
    }
    expect(run.stderr).toContain('/nonexistent/slapcat: command not found');
    expect(run.stderr).toContain('slapcat: bad configuration directory!');
    expect(run.stderr).toContain('Database number selected via -n is out of range');
  });
});
