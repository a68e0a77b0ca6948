import { mkdirSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { EMPTY_STATE } from '../../src/state/point-state.js';
import { readStates } from '../../src/state/read-states.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';

describe('state files read for a plan', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-read-states-');
  });
  afterEach(() => box.remove());

  const write = (path: string, text: string) => {
    mkdirSync(box.path(path, '..'), { recursive: true });
    writeFileSync(box.path(path), text);
  };

  it('tells files that exist from files under a directory that does not, in any order', () => {
    write('a/metadata/collect_point/a.json', '{"success_count": 3}');
    write('c/metadata/remote-m/remote/m.json', '{"success_count": 5}');
    const files = [
      'b/metadata/collect_point/b.json',
      'b/metadata/remote-m/remote/m.json',
      'a/metadata/collect_point/a.json',
      'a/metadata/remote-m/remote/m.json',
      'c/metadata/collect_point/c.json',
      'c/metadata/remote-m/remote/m.json',
    ].map((file) => box.path(file));
    const diagnostics = new Diagnostics();
    const states = readStates(files, diagnostics);
    const counts = files.map((file) => states.get(file)?.state.success_count);
    expect(counts).toEqual([0, 0, 3, 0, 0, 5]);
    expect(files.map((file) => states.get(file)?.sha256 === null)).toEqual([
      true,
      true,
      false,
      true,
      true,
      false,
    ]);
    expect(states.get(files[0] as string)?.state).toBe(EMPTY_STATE);
    expect(diagnostics.inFileOrder()).toEqual([]);
  });

  it('says which file it cannot read, and reads the others', () => {
    // A directory where the file should be: unreadable for root too, which ignores modes.
    mkdirSync(box.path('odd/metadata/collect_point/x.json'), { recursive: true });
    write('open/metadata/collect_point/y.json', '{"success_count": 2}');
    const files = [
      box.path('odd/metadata/collect_point/x.json'),
      box.path('open/metadata/collect_point/y.json'),
    ];
    const diagnostics = new Diagnostics();
    const states = readStates(files, diagnostics);
    expect(states.get(files[0] as string)?.problem).toEqual({ kind: 'unreadable', code: 'EISDIR' });
    expect(states.get(files[1] as string)?.state.success_count).toBe(2);
    expect(diagnostics.inFileOrder().map((d) => d.message)).toEqual([
      `cannot read state file ${files[0]} (is a directory)`,
    ]);
  });
});
