import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderBash } from '../../src/backends/bash/render.js';
import { jsonPieces } from '../../src/backends/describe-json.js';
import { describeText } from '../../src/backends/describe-text.js';
import { formatDiagnostic } from '../../src/diag/diagnostic.js';
import { partsOf } from '../../src/planner/plan.js';
import { CLI } from '../helpers/cli.js';
import { listFixtures, planSnapshot } from '../helpers/fixtures.js';
import { haveTools } from '../helpers/tools.js';

const SNAPSHOTS = new URL('../../snapshots/', import.meta.url).pathname;
const canLint = haveTools('shellcheck', 'bash');

describe.each(listFixtures())('fixture %s', (name) => {
  const result = planSnapshot(name);

  it('plans without errors', () => {
    expect(result.diagnostics.errors.map(formatDiagnostic)).toEqual([]);
    expect(result.plan).toBeDefined();
  });

  it('renders the golden script and plan text', async () => {
    if (result.plan === undefined) return;
    await expect(renderBash(result.plan)).toMatchFileSnapshot(`${SNAPSHOTS}${name}.sh`);
    await expect(describeText(result.plan)).toMatchFileSnapshot(`${SNAPSHOTS}${name}.plan.txt`);
  });

  it('writes, one unit at a time, the same JSON as the whole plan', () => {
    if (result.plan === undefined) return;
    const whole = `${JSON.stringify(result.plan, null, 2)}\n`;
    expect([...jsonPieces(partsOf(result.plan))].join('')).toBe(whole);
    const none = { ...result.plan, units: [] };
    expect([...jsonPieces(partsOf(none))].join('')).toBe(`${JSON.stringify(none, null, 2)}\n`);
  });

  it('renders byte-identical scripts for identical inputs', () => {
    if (result.plan === undefined) return;
    const again = planSnapshot(name).plan;
    expect(again && renderBash(again)).toBe(renderBash(result.plan));
  });

  // The snapshot file itself, on its own: it is the whole script users run.
  it.runIf(canLint)('passes bash -n and shellcheck --enable=all', () => {
    if (result.plan === undefined) return;
    const file = `${SNAPSHOTS}${name}.sh`;
    const syntax = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
    expect(syntax.stderr).toBe('');
    expect(syntax.status).toBe(0);
    const lint = spawnSync('shellcheck', ['--enable=all', '--shell=bash', file], { encoding: 'utf8' });
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
