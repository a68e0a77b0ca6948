import { utimesSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchedMark, withoutFetchedFigures } from '../../src/state/fetched-copies.js';
import { readState, type StateSnapshots } from '../../src/state/read-states.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';

const FIGURES = { '"/c/backups/data"': { files: 30, bytes: 81 } };
const MIRROR_FIGURES = { '"/m/site"': { files: 30, bytes: 81 } };

describe('copy figures a fetch outdated', () => {
  let box: Sandbox;
  let file: string;
  let pair: string;
  let states: StateSnapshots;
  let points: { stateFile: string; pairStateFiles: string[] }[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-fetched-');
    file = box.path('site.json');
    pair = box.path('mirror.json');
    writeFileSync(file, JSON.stringify({ success_count: 2, copies: FIGURES }));
    writeFileSync(pair, JSON.stringify({ success_count: 2, copies: MIRROR_FIGURES }));
    states = new Map([
      [file, readState(file)],
      [pair, readState(pair)],
    ]);
    points = [{ stateFile: file, pairStateFiles: [pair] }];
  });
  afterEach(() => box.remove());

  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  it('are dropped when the mark is as new as the state or newer, and only the figures', () => {
    for (const markAt of [1000, 1001]) {
      writeFileSync(fetchedMark(file), '');
      at(file, 1000);
      at(pair, 1000);
      at(fetchedMark(file), markAt);
      const outdated = withoutFetchedFigures(states, points);
      for (const recorded of [file, pair]) {
        const snapshot = outdated.get(recorded);
        expect(snapshot?.state.copies).toBeUndefined();
        // Kept beside the state: what a backup point's directory held at its last success.
        expect(snapshot?.outdatedCopies).toEqual(recorded === file ? FIGURES : MIRROR_FIGURES);
        expect(snapshot?.state.success_count).toBe(2);
        expect(snapshot?.sha256).toBe(states.get(recorded)?.sha256);
      }
    }
  });

  it('are kept without a mark, or for each state recorded after it', () => {
    expect(withoutFetchedFigures(states, points)).toBe(states);
    writeFileSync(fetchedMark(file), '');
    at(fetchedMark(file), 1000);
    at(file, 1001);
    at(pair, 999);
    const after = withoutFetchedFigures(states, points);
    expect(after.get(file)?.state.copies).toEqual(FIGURES);
    // A backup point that has not run since the fetch measures what it holds.
    expect(after.get(pair)?.state.copies).toBeUndefined();
    at(pair, 1001);
    expect(withoutFetchedFigures(states, points)).toBe(states);
  });

  it("outdate a pair's figures read from elsewhere (no state file here) once the collect point is marked", () => {
    const mirrored = box.path('read-from-metadata-url.json');
    const elsewhere = new Map(states).set(mirrored, readState(pair));
    const marked = [{ stateFile: file, pairStateFiles: [mirrored] }];
    expect(withoutFetchedFigures(elsewhere, marked)).toBe(elsewhere);
    writeFileSync(fetchedMark(file), '');
    expect(withoutFetchedFigures(elsewhere, marked).get(mirrored)?.state.copies).toBeUndefined();
  });

  it('sits beside the state file', () => {
    expect(fetchedMark('/c/metadata/collect_point/site.json')).toBe('/c/metadata/collect_point/site.fetched');
  });
});
