import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderBash } from '../../src/backends/bash/render.js';
import { describeText } from '../../src/backends/describe-text.js';
import { formatDiagnostic } from '../../src/diag/diagnostic.js';
import { listFixtures, planFixture, SNAPSHOT_ROOT } from '../helpers/fixtures.js';
import { haveTools } from '../helpers/tools.js';
import { joinShared, SHARED_BLOCKS, SHARED_HEADER, splitShared } from './shared-blocks.js';

const SNAPSHOTS = new URL('../../snapshots/', import.meta.url).pathname;
const canLint = haveTools('shellcheck', 'bash');
const scratch = mkdtempSync(join(tmpdir(), 'polyarchiv-snap-'));
const sharedSeen = new Map<string, string>();

function lint(file: string, cwd: string): void {
  const syntax = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
  expect(syntax.stderr).toBe('');
  expect(syntax.status).toBe(0);
  const check = spawnSync('shellcheck', ['--enable=all', '--shell=bash', '--external-sources', file], {
    encoding: 'utf8',
    cwd,
  });
  expect(check.stdout).toBe('');
  expect(check.status).toBe(0);
}

describe.each(listFixtures())('fixture %s', (name) => {
  const result = planFixture(name, SNAPSHOT_ROOT);

  it('plans without errors', () => {
    expect(result.diagnostics.errors.map(formatDiagnostic)).toEqual([]);
    expect(result.plan).toBeDefined();
  });

  it('renders the golden script (its shared blocks sourced from snapshots/shared/) and plan text', async () => {
    if (result.plan === undefined) return;
    const whole = renderBash(result.plan);
    const { script, blocks } = splitShared(whole);
    await expect(script).toMatchFileSnapshot(`${SNAPSHOTS}${name}.sh`);
    for (const [block, text] of blocks) sharedSeen.set(block, text);
    expect(joinShared(script, (block) => SHARED_HEADER + (blocks.get(block) ?? ''))).toBe(whole);
    await expect(describeText(result.plan)).toMatchFileSnapshot(`${SNAPSHOTS}${name}.plan.txt`);
  });

  it('renders byte-identical scripts for identical inputs', () => {
    if (result.plan === undefined) return;
    const again = planFixture(name, SNAPSHOT_ROOT).plan;
    expect(again && renderBash(again)).toBe(renderBash(result.plan));
  });

  it.runIf(canLint)('passes bash -n and shellcheck --enable=all, whole and as its snapshot', () => {
    if (result.plan === undefined) return;
    const file = join(scratch, `${name}.sh`);
    writeFileSync(file, renderBash(result.plan));
    lint(file, scratch);
    lint(`${SNAPSHOTS}${name}.sh`, SNAPSHOTS);
  });
});

describe('shared blocks', () => {
  it.each(SHARED_BLOCKS)('%s: one snapshot, used by the golden scripts', async (block) => {
    const text = sharedSeen.get(block);
    expect(text, `no golden script carries ${block}: add a fixture that does`).toBeDefined();
    await expect(SHARED_HEADER + text).toMatchFileSnapshot(`${SNAPSHOTS}shared/${block}.sh`);
    expect(readFileSync(`${SNAPSHOTS}shared/${block}.sh`, 'utf8')).toBe(SHARED_HEADER + text);
  });
});
