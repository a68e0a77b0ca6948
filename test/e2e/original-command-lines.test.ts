import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, withoutLogStamps } from '../helpers/cli.js';
import { haveOriginal, runOriginal } from '../helpers/original.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'tput') && haveOriginal();

/**
 * Command lines written for the original (its README, documentation and cron habits) keep
 * working: each runs through the original and through polyarchiv on the same configuration, and
 * both exit alike. CFG stands for the configuration directory, LOG for a log file.
 */
const LINES: readonly (readonly [string, number])[] = [
  ['-C CFG backup -D --show-commands', 0],
  ['-C CFG backup --show-commands --force', 0],
  ['-C CFG config -v', 0],
  ['-C CFG -f -n backup', 0],
  ['--config=CFG --verbosity=0 backup -fq', 0],
  ['-CCFG backup --only-collect-points site other --only-backup-points mirror elsewhere', 0],
  ['-C CFG --only-coll site --skip-coll backup', 0],
  ['--log-file LOG -C CFG -n check', 0],
  ['-C CFG check -f -D --show-commands --confirm-commands --skip-backup', 0],
  ['-C CFG plugins -v -n', 0],
  // After the backups above: a restore shown, not run (a real one asks first, see README).
  ['-C CFG restore -D --show-commands', 0],
  ['-C CFG -D restore --only-coll site --skip-backup', 0],
  ['--verbosity 2 -C CFG restore --dry --only-backup-points mirror', 0],
  // argparse requires a command, and --only-* reads every following word, the command too.
  ['', 2],
  ['-C CFG --only-collect-points site backup', 2],
];

describe.runIf(canRun)("the original's command lines", () => {
  let box: Sandbox;
  const words = (line: string) =>
    line
      .split(' ')
      .filter(Boolean)
      .map((w) => w.replace('CFG', box.path('config')).replace('LOG', box.path('run.log')));
  beforeAll(() => {
    box = makeSandbox('polyarchiv-original-lines-');
    box.write({
      'config/site.collect': `[point]\nengine = files\nlocal_path = ${box.path('collect')}\nfrequency = daily\n\n[source "documents"]\nengine = local_files\nsource_path = ${box.path('data')}\ndestination_path = documents\n`,
      'config/mirror.backup': `[point]\nengine = synchronize\nremote_url = file://${box.path('mirror')}/{name}\nfrequency = daily\n`,
      'data/a.txt': 'a\n',
    });
    mkdirSync(box.path('collect'));
  });
  afterAll(() => box.remove());

  it.each(LINES)('polyarchiv %s', (line, code) => {
    const original = runOriginal(words(line));
    expect(original.code, `the original: ${original.stdout}${original.stderr}`).toBe(code);
    const ours = runCli(words(line));
    expect(ours.code, ours.stdout + ours.stderr).toBe(code);
    if (code === 2) expect(ours.stderr).toContain('Usage: polyarchiv');
    if (line.includes('LOG')) {
      expect(withoutLogStamps(readFileSync(box.path('run.log'), 'utf8'))).toBe(ours.stdout + ours.stderr);
    }
  });

  it('prints the same Nagios status line for backup --nrpe', () => {
    const lastLine = (text: string) => text.trim().split('\n').at(-1);
    const original = runOriginal(words('-C CFG --nrpe --force backup'));
    const ours = runCli(words('-C CFG --nrpe --force backup'));
    expect(lastLine(ours.stdout)).toBe(lastLine(original.stdout));
    expect(lastLine(ours.stdout)).toBe('OK - all backups are valid');
  });

  it('refuses a real restore without a terminal unless --yes, where the original restored without asking', () => {
    // Changes small enough for the copy guard: only the question can stop these restores.
    writeFileSync(box.path('data/a.txt'), 'b\n');
    writeFileSync(box.path('data/late.txt'), 'l\n');
    const original = runOriginal(words('-C CFG restore'));
    expect(original.code, `the original: ${original.stdout}${original.stderr}`).toBe(0);
    // The original deleted the new file without a word; polyarchiv asks, and a cron job cannot answer.
    expect(existsSync(box.path('data/late.txt'))).toBe(false);
    writeFileSync(box.path('data/a.txt'), 'b\n');
    writeFileSync(box.path('data/late.txt'), 'l\n');
    for (const line of ['-C CFG restore', '-C CFG -f restore --only-coll site', '-C CFG --yse restore']) {
      const refused = runCli(words(line));
      expect(refused.code, line).toBe(2);
      expect(refused.stderr, line).toMatch(/--yes|unknown option '--yse'/);
      expect(readFileSync(box.path('data/late.txt'), 'utf8')).toBe('l\n');
    }
    expect(runCli(words('-C CFG restore')).stderr).toContain(
      'there is no terminal to confirm it on: nothing was changed; run it again with --yes',
    );
    for (const line of ['-C CFG --yes restore', '-C CFG restore -y', '-C CFG -fy restore --only-coll site']) {
      writeFileSync(box.path('data/late.txt'), 'l\n');
      const restored = runCli(words(line));
      expect(restored.code, `${line}: ${restored.stderr}`).toBe(0);
      expect(restored.stderr).toMatch(/^\*deleting +late\.txt$/m);
      expect(existsSync(box.path('data/late.txt'))).toBe(false);
      expect(readFileSync(box.path('data/a.txt'), 'utf8')).toBe('a\n');
    }
  });
});
