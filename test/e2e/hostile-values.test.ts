import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');

/** Every value here would run a command, expand, split or become an option if it reached a shell. */
const SOURCE_DIR = 'data/$(touch PWNED-subst) `touch PWNED-tick` ${IFS}x; touch PWNED-semi *';
/** The same path in the config, where `{{`/`}}` are literal braces. */
const SOURCE_DIR_IN_CONFIG = SOURCE_DIR.replaceAll('{', '{{').replaceAll('}', '}}');
const DESTINATION = '--delete $(touch PWNED-dest) "q" \'s\' *';
const COLLECT_DIR = 'collect/-rf it\'s "quoted" $HOME ?[a]';
const MIRROR_DIR = 'mirror/--link-dest=..; rm -rf ~';

function hostileConfig(box: Sandbox) {
  box.write({
    'config/site.collect': [
      '[variables]',
      'evil = $(touch PWNED-var)',
      '',
      '[point]',
      'engine = files',
      `local_path = {root}/${COLLECT_DIR}`,
      '',
      '[source "odd"]',
      'engine = local_files',
      `source_path = {root}/${SOURCE_DIR_IN_CONFIG}`,
      `destination_path = ${DESTINATION}/{evil}`,
      'exclude = $(touch PWNED-exclude)',
      'include = `touch PWNED-include`',
      '',
    ].join('\n'),
    'config/mirror.backup': `[point]\nengine = synchronize\nremote_url = file://{root}/${MIRROR_DIR}/{name}\n`,
  });
  mkdirSync(box.path(SOURCE_DIR), { recursive: true });
  writeFileSync(box.path(SOURCE_DIR, 'payload.txt'), 'payload\n');
}

function assertNothingRan(box: Sandbox) {
  const pwned = (dir: string) =>
    readdirSync(dir, { recursive: true }).filter(
      (f) => String(f).includes('PWNED-') && !String(f).includes('$(touch'),
    );
  expect(pwned(box.root)).toEqual([]);
  expect(existsSync('PWNED-subst')).toBe(false);
  expect(readdirSync(box.root).sort()).toEqual(
    [
      'collect',
      'config',
      'data',
      'mirror',
      ...(existsSync(box.path('backup.sh')) ? ['backup.sh'] : []),
    ].sort(),
  );
}

describe.runIf(canRun)('hostile configuration values', () => {
  let box: Sandbox;
  afterEach(() => box.remove());

  for (const backend of ['apply', 'script'] as const) {
    it(`neither runs anything nor touches a wrong path with ${backend}`, () => {
      box = makeSandbox('polyarchiv-hostile-');
      hostileConfig(box);
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      let status: number | null;
      let stderr: string;
      if (backend === 'apply') {
        ({ code: status, stderr } = runCli(['backup', ...args]));
      } else {
        const plan = runCli(['plan', ...args]);
        expect(plan.code, plan.stderr).toBe(0);
        writeFileSync(box.path('backup.sh'), plan.stdout);
        const lint = spawnSync('bash', ['-n', box.path('backup.sh')]);
        expect(lint.status).toBe(0);
        ({ status, stderr } = spawnSync('bash', [box.path('backup.sh')], {
          encoding: 'utf8',
          cwd: box.root,
        }));
      }
      expect(status, stderr).toBe(0);
      assertNothingRan(box);
      const copied = box.path(COLLECT_DIR, 'backups', DESTINATION, '$(touch PWNED-var)');
      expect(fileContents(copied)).toEqual(fileContents(box.path(SOURCE_DIR)));
      const mirrored = box.path(MIRROR_DIR, 'site', DESTINATION, '$(touch PWNED-var)');
      expect(fileContents(mirrored)).toEqual(fileContents(box.path(SOURCE_DIR)));
    });
  }

  it('rejects a newline in a path instead of splitting it', () => {
    box = makeSandbox('polyarchiv-hostile-');
    box.write({
      'config/site.collect': '[point]\nengine = files\nlocal_path = /tmp/x\n  /etc\n',
    });
    const result = runCli(['plan', '-C', box.path('config')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      "error: bad value for option 'local_path': '/tmp/x\\n/etc' (expected a value on one line (an indented line continues the option above it: unindent a line meant as an option of its own))\n  at site.collect:3 [point]",
    );
  });
});
