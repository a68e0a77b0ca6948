import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keepStdoutUntilFailure } from '../../src/backends/execute/quiet-stdout.js';

describe('the output a quiet unit keeps until it fails', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function kept(memoryLimit: number) {
    const workDir = mkdtempSync(join(tmpdir(), 'polyarchiv-quiet-'));
    dirs.push(workDir);
    const shown: string[] = [];
    const errors: string[] = [];
    const base = {
      workDir,
      secrets: new Map<string, string>(),
      processes: new Set<import('node:child_process').ChildProcess>(),
      output: (stream: 'stdout' | 'stderr', chunk: Buffer) =>
        (stream === 'stdout' ? shown : errors).push(chunk.toString()),
    };
    const quiet = keepStdoutUntilFailure(base, 'site/collect', memoryLimit);
    const write = (stream: 'stdout' | 'stderr', text: string) =>
      quiet.ctx.output?.(stream, Buffer.from(text));
    return { quiet, write, shown, errors, workDir };
  }

  it('shows standard output, in order, only when asked, and standard error at once', () => {
    const { quiet, write, shown, errors } = kept(1024);
    write('stdout', 'one\n');
    write('stderr', 'problem\n');
    write('stdout', 'two\n');
    expect(shown).toEqual([]);
    expect(errors).toEqual(['problem\n']);
    quiet.show();
    expect(shown.join('')).toBe('one\ntwo\n');
  });

  it('keeps what is past its memory limit in a private file of the work directory, shown first', () => {
    const { quiet, write, shown, workDir } = kept(10);
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}\n`);
    for (const line of lines) write('stdout', line);
    const [file] = readdirSync(workDir);
    expect(file).toBe('site_collect.quiet');
    quiet.show();
    expect(shown.join('')).toBe(lines.join(''));
    expect(existsSync(join(workDir, file as string))).toBe(false);
  });

  it('forgets everything, file included, when the unit succeeds', () => {
    const { quiet, write, shown, workDir } = kept(10);
    for (let i = 0; i < 20; i++) write('stdout', `line ${i}\n`);
    quiet.discard();
    expect(readdirSync(workDir)).toEqual([]);
    expect(shown).toEqual([]);
  });
});
