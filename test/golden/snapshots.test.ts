import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderBash, renderSharedBlock, SHARED_BLOCKS } from '../../src/backends/bash/render.js';
import { describeText } from '../../src/backends/describe-text.js';
import { formatDiagnostic } from '../../src/diag/diagnostic.js';
import { listFixtures, planFixture, SNAPSHOT_ROOT } from '../helpers/fixtures.js';
import { haveTools } from '../helpers/tools.js';

const SNAPSHOTS = new URL('../../snapshots/', import.meta.url).pathname;
const canLint = haveTools('shellcheck', 'bash');
const scratch = mkdtempSync(join(tmpdir(), 'polyarchiv-snap-'));

// The blocks every script carries verbatim have one snapshot each, in snapshots/shared/: a change
// of a helper shows one diff there instead of one per fixture.
const SHARED = SHARED_BLOCKS.map((name) => ({ name, text: renderSharedBlock(name) }));

/** A script as its snapshot holds it: each shared block replaced by a line that names its file. */
function withoutSharedBlocks(script: string): string {
  let text = script;
  for (const { name, text: block } of SHARED) {
    const at = text.indexOf(block);
    if (at < 0) continue;
    expect(text.indexOf(block, at + 1), `${name} appears twice`).toBe(-1);
    text = `${text.slice(0, at)}#### shared block: snapshots/shared/${name}.sh ####\n${text.slice(at + block.length)}`;
  }
  return text;
}

describe('shared script blocks', () => {
  it.each(SHARED)('snapshots $name once', async ({ name, text }) => {
    expect(text).not.toBe('');
    await expect(text).toMatchFileSnapshot(`${SNAPSHOTS}shared/${name}.sh`);
  });
});

describe.each(listFixtures())('fixture %s', (name) => {
  const result = planFixture(name, SNAPSHOT_ROOT);

  it('plans without errors', () => {
    expect(result.diagnostics.errors.map(formatDiagnostic)).toEqual([]);
    expect(result.plan).toBeDefined();
  });

  it('renders the golden script and plan text', async () => {
    if (result.plan === undefined) return;
    const script = renderBash(result.plan);
    for (const always of SHARED.filter((block) => block.name === 'prelude' || block.name === 'helpers'))
      expect(script).toContain(always.text);
    await expect(withoutSharedBlocks(script)).toMatchFileSnapshot(`${SNAPSHOTS}${name}.sh`);
    await expect(describeText(result.plan)).toMatchFileSnapshot(`${SNAPSHOTS}${name}.plan.txt`);
  });

  it('renders byte-identical scripts for identical inputs', () => {
    if (result.plan === undefined) return;
    const again = planFixture(name, SNAPSHOT_ROOT).plan;
    expect(again && renderBash(again)).toBe(renderBash(result.plan));
  });

  it.runIf(canLint)('passes bash -n and shellcheck --enable=all', () => {
    if (result.plan === undefined) return;
    const file = join(scratch, `${name}.sh`);
    writeFileSync(file, renderBash(result.plan));
    const syntax = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
    expect(syntax.stderr).toBe('');
    expect(syntax.status).toBe(0);
    const lint = spawnSync('shellcheck', ['--enable=all', '--shell=bash', file], { encoding: 'utf8' });
    expect(lint.stdout).toBe('');
    expect(lint.status).toBe(0);
  });
});
