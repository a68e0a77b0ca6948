import type { Diagnostics } from '../diag/diagnostic.js';
import type { Origin } from '../diag/origin.js';
import type { BoundBackupPoint, BoundCollectPoint } from '../engines/engine.js';
import type { OptionValues } from '../options/schema.js';
import { overlapping, PathIndex } from './path-index.js';

/**
 * Where the paths the checks compare lead on this machine (symbolic links followed), read once
 * by the caller: the checks compare these, and show the paths as they were written. A path
 * missing from the map leads to itself.
 */
export type RealPaths = ReadonlyMap<string, string>;

/** Nothing followed: the paths compared as written (a review render, which reads nothing here). */
export const AS_WRITTEN: RealPaths = new Map();

/** Where `path` leads. */
export function realOf(paths: RealPaths, path: string): string {
  return paths.get(path) ?? path;
}

/** A path as messages show it: as written, and where it leads when a symbolic link takes it elsewhere. */
export function shownPath(path: string, real: string): string {
  return real === path ? path : `${path}, through a symlink: ${real}`;
}

interface Place {
  readonly path: string;
  /** Where `path` leads on this machine: what is compared. */
  readonly real: string;
  readonly what: string;
  /** Where the path was written: looked up only for a message, which few places get. */
  readonly options: OptionValues;
  readonly option: string;
}

const originOf = (place: Place): Origin => place.options.origin(place.option);

/** A pair's mirror on this machine, which the overlap checks compare. */
export interface MirrorPlace {
  readonly pair: BoundBackupPoint;
  readonly path: string;
}

/** The local directory of each pair whose backup point writes one: its URL read once for every check. */
export function mirrorPlaces(pairs: readonly BoundBackupPoint[]): MirrorPlace[] {
  const places: MirrorPlace[] = [];
  for (const pair of pairs) {
    const path = pair.engine.location?.(pair.options);
    if (path !== undefined) places.push({ pair, path });
  }
  return places;
}

/** Each source's destination in its collect point, whose overlaps the checks compare. */
function destinationOf(cp: BoundCollectPoint, destination: string): string {
  return `${cp.layout.importDir}/${destination}`;
}

/**
 * Directories that rsync --delete and the staged swaps replace must not overlap: two collect
 * points in one directory, two sources in one destination, or one mirror for several collect
 * points would each destroy the other's copy on every run. Directories are compared where they
 * lead on this machine (`real`), so that a symbolic link cannot hide one inside another.
 */
export function checkOverlaps(
  collectPoints: readonly BoundCollectPoint[],
  pairMirrors: readonly MirrorPlace[],
  real: RealPaths,
  diagnostics: Diagnostics,
): void {
  const place = (path: string, what: string, options: OptionValues, option: string): Place => ({
    path,
    real: realOf(real, path),
    what,
    options,
    option,
  });
  const roots = collectPoints.map((cp) =>
    place(cp.layout.root, `collect point ${cp.name}`, cp.options, 'local_path'),
  );
  reportOverlaps(roots, diagnostics, 'each collect point needs a directory of its own');
  for (const cp of collectPoints) {
    const destinations = cp.sources.map((s) =>
      place(
        destinationOf(cp, s.options.string('destination_path')),
        `source "${s.name}"`,
        s.options,
        'destination_path',
      ),
    );
    // A destination is a file (a dump) or a directory (a copy).
    reportOverlaps(destinations, diagnostics, 'each source needs a destination_path of its own', 'path');
  }
  const rootIndex = new PathIndex(roots.map((root) => root.real));
  const mirrors: Place[] = [];
  const sharedParts = new Map<string, Map<string, Place>>();
  for (const { pair, path } of pairMirrors) {
    const mirror = place(
      path,
      `backup point ${pair.name} of ${pair.collectPoint}`,
      pair.options,
      'remote_url',
    );
    const part = pair.engine.locationPart?.(pair.options, pair.collectPoint);
    if (part === undefined) mirrors.push(mirror);
    else if (sharesLocation(sharedParts, `${pair.engine.name}\0${mirror.real}`, part, mirror, diagnostics))
      mirrors.push(mirror);
    for (const i of rootIndex.overlaps(mirror.real)) {
      const root = roots[i] as Place;
      diagnostics.error(
        `remote_url of backup point ${pair.name} (${shown(mirror)}) overlaps ${root.what} (${shown(root)})`,
        originOf(mirror),
        'a backup must live outside every collect point',
      );
    }
  }
  reportOverlaps(
    mirrors,
    diagnostics,
    'put {name} in remote_url so that each collect point gets its own directory',
  );
}

const shown = (place: Place) => shownPath(place.path, place.real);

/**
 * Pairs of one engine may share a location when each writes its own part of it (git: a branch of
 * one repository); the location then counts once among the mirrors. True for the first pair there.
 */
function sharesLocation(
  parts: Map<string, Map<string, Place>>,
  key: string,
  part: string,
  place: Place,
  diagnostics: Diagnostics,
): boolean {
  const known = parts.get(key) ?? new Map<string, Place>();
  parts.set(key, known);
  const earlier = known.get(part);
  if (earlier !== undefined)
    diagnostics.error(
      `${place.what} writes ${shown(place)}, ${part}, as ${earlier.what} does: each run would replace the other's`,
      originOf(place),
      'put {name} in remote_url or in remote_branch so that each collect point gets its own',
    );
  known.set(part, place);
  return known.size === 1 && earlier === undefined;
}

/**
 * Up to this many places (the destinations of one collect point's sources), comparing each pair
 * costs less than an index: a thousand collect points would build a thousand indexes.
 */
const FEW_PLACES = 8;

/** The first place before the `i`th that overlaps it. */
function firstOverlapping(places: readonly Place[], i: number): number | undefined {
  const path = (places[i] as Place).real;
  for (let j = 0; j < i; j++) if (overlapping(path, (places[j] as Place).real)) return j;
  return undefined;
}

/** `what`: what the places are, as the message names two of them that coincide. */
function reportOverlaps(
  places: readonly Place[],
  diagnostics: Diagnostics,
  hint: string,
  what: 'directory' | 'path' = 'directory',
): void {
  const index = places.length > FEW_PLACES ? new PathIndex(places.map((place) => place.real)) : undefined;
  places.forEach((place, i) => {
    const first = index === undefined ? firstOverlapping(places, i) : index.firstBefore(place.real, i);
    if (first === undefined) return;
    const earlier = places[first] as Place;
    const how = earlier.real === place.real ? `is the same ${what} as` : 'overlaps';
    diagnostics.error(
      `${place.what} (${shown(place)}) ${how} ${earlier.what} (${shown(earlier)}): each run would replace the other's copy`,
      originOf(place),
      hint,
    );
  });
}
