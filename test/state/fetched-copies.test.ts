import { utimesSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchedMark, withoutFetchedFigures } from '../../src/state/fetched-copies.js';
import { readState, type StateSnapshots } from '../../src/state/read-states.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';

const FIGURES = { '"/c/backups/data"': { files: 30, bytes: 81 } };

describe('copy figures a fetch outdated', () => {
  let box: Sandbox;
  let file: string;
  let states: StateSnapshots;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-fetched-');
    file = box.path('site.json');
    writeFileSync(file, JSON.stringify({ success_count: 2, copies: FIGURES }));
    states = new Map([[file, readState(file)]]);
  });
  afterEach(() => box.remove());

  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  it('are dropped when the mark is as new as the state or newer, and only the figures', () => {
    for (const markAt of [1000, 1001]) {
      writeFileSync(fetchedMark(file), '');
      at(file, 1000);
      at(fetchedMark(file), markAt);
      const snapshot = withoutFetchedFigures(states, [file]).get(file);
      expect(snapshot?.state.copies).toBeUndefined();
      expect(snapshot?.state.success_count).toBe(2);
      expect(snapshot?.sha256).toBe(states.get(file)?.sha256);
    }
  });

  it('are kept without a mark, or when the state was recorded after it', () => {
    expect(withoutFetchedFigures(states, [file])).toBe(states);
    writeFileSync(fetchedMark(file), '');
    at(fetchedMark(file), 1000);
    at(file, 1001);
    expect(withoutFetchedFigures(states, [file]).get(file)?.state.copies).toEqual(FIGURES);
  });

  it('sits beside the state file', () => {
    expect(fetchedMark('/c/metadata/collect_point/site.json')).toBe('/c/metadata/collect_point/site.fetched');
  });
});
