import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderBash, renderHelperFile } from '../../src/backends/bash/render.js';
import { describeText } from '../../src/backends/describe-text.js';
import { formatDiagnostic } from '../../src/diag/diagnostic.js';
import { CLI } from '../helpers/cli.js';
import { listFixtures, planSnapshot } from '../helpers/fixtures.js';
import { haveTools } from '../helpers/tools.js';

const SNAPSHOTS = new URL('../../snapshots/', import.meta.url).pathname;
const canLint = haveTools('shellcheck', 'bash');

/**
 * The parts of templates/partials/ that every script holds, alike: snapshotted once, in
 * snapshots/prelude.sh, so that a change to one of them is reviewed once, not in every script.
 */
const SHARED = ['prelude.hbs', 'helpers-log-file.hbs', 'helpers.hbs'];
const sharedText = (name: string) => renderHelperFile(name);

/**
 * A script with each shared part replaced by a line that names it; a part that the plan renders
 * otherwise (helpers.hbs, with hooks) stays in the script.
 */
function withoutShared(script: string): string {
  let rest = script;
  for (const name of SHARED) {
    const [before, ...after] = rest.split(sharedText(name));
    if (after.length > 1)
      throw new Error(`the script holds templates/partials/${name} ${after.length} times`);
    if (after.length === 1) rest = `${before}# templates/partials/${name}: see prelude.sh\n${after[0]}`;
  }
  return rest;
}

describe('the parts every script shares', () => {
  it('render once, in prelude.sh', async () => {
    const text = SHARED.map((name) => `# templates/partials/${name}\n${sharedText(name)}`).join('\n');
    await expect(text).toMatchFileSnapshot(`${SNAPSHOTS}prelude.sh`);
  });
});

describe.each(listFixtures())('fixture %s', (name) => {
  const result = planSnapshot(name);

  it('plans without errors', () => {
    expect(result.diagnostics.errors.map(formatDiagnostic)).toEqual([]);
    expect(result.plan).toBeDefined();
  });

  it('renders the golden script and plan text', async () => {
    if (result.plan === undefined) return;
    await expect(withoutShared(renderBash(result.plan))).toMatchFileSnapshot(`${SNAPSHOTS}${name}.sh`);
    await expect(describeText(result.plan)).toMatchFileSnapshot(`${SNAPSHOTS}${name}.plan.txt`);
  });

  it('renders byte-identical scripts for identical inputs', () => {
    if (result.plan === undefined) return;
    const again = planSnapshot(name).plan;
    expect(again && renderBash(again)).toBe(renderBash(result.plan));
  });

  // The whole script, as users run it, shared parts included.
  it.runIf(canLint)('passes bash -n and shellcheck --enable=all', () => {
    if (result.plan === undefined) return;
    const script = renderBash(result.plan);
    const syntax = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    expect(syntax.stderr).toBe('');
    expect(syntax.status).toBe(0);
    const lint = spawnSync('shellcheck', ['--enable=all', '--shell=bash', '-'], {
      input: script,
      encoding: 'utf8',
    });
    expect(lint.stdout).toBe('');
    expect(lint.status).toBe(0);
  });
});

// The committed review render of examples/ci is a golden script too: `-u` renders it again, as
// its check.sh says, from its directory.
describe('examples/ci/backup.review.sh', () => {
  it('is the review render of its directory', async () => {
    const dir = new URL('../../examples/ci/', import.meta.url).pathname;
    const render = spawnSync(
      process.execPath,
      [
        CLI,
        'plan',
        '--review',
        '-C',
        '.',
        '--now',
        '2026-01-01T03:00:00+01:00',
        '--set',
        'fqdn=web1.example.org',
      ],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, TZ: 'Europe/Paris' } },
    );
    expect(render.stderr).toBe('');
    await expect(render.stdout).toMatchFileSnapshot(`${dir}backup.review.sh`);
  });
});
