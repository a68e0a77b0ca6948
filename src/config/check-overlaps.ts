import type { Diagnostics } from '../diag/diagnostic.js';
import type { Origin } from '../diag/origin.js';
import type { BoundBackupPoint, BoundCollectPoint } from '../engines/engine.js';
import { PathIndex } from './path-index.js';

interface Place {
  readonly path: string;
  readonly what: string;
  readonly origin: Origin;
}

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

/**
 * Directories that rsync --delete and the staged swaps replace must not overlap: two collect
 * points in one directory, two sources in one destination, or one mirror for several collect
 * points would each destroy the other's copy on every run.
 */
export function checkOverlaps(
  collectPoints: readonly BoundCollectPoint[],
  pairMirrors: readonly MirrorPlace[],
  diagnostics: Diagnostics,
): void {
  const roots = collectPoints.map((cp) => ({
    path: cp.layout.root,
    what: `collect point ${cp.name}`,
    origin: cp.options.origin('local_path'),
  }));
  reportOverlaps(roots, diagnostics, 'each collect point needs a directory of its own');
  for (const cp of collectPoints) {
    const destinations = cp.sources.map((s) => ({
      path: `${cp.layout.importDir}/${s.options.string('destination_path')}`,
      what: `source "${s.name}"`,
      origin: s.options.origin('destination_path'),
    }));
    reportOverlaps(destinations, diagnostics, 'each source needs a destination_path of its own');
  }
  const rootIndex = new PathIndex();
  roots.forEach((root, i) => {
    rootIndex.add(root.path, i);
  });
  const mirrors: Place[] = [];
  const sharedParts = new Map<string, Map<string, Place>>();
  for (const { pair, path } of pairMirrors) {
    const origin = pair.options.origin('remote_url');
    const place = { path, what: `backup point ${pair.name} of ${pair.collectPoint}`, origin };
    const part = pair.engine.locationPart?.(pair.options, pair.collectPoint);
    if (part === undefined) mirrors.push(place);
    else if (sharesLocation(sharedParts, `${pair.engine.name}\0${path}`, part, place, diagnostics))
      mirrors.push(place);
    for (const i of rootIndex.overlaps(path)) {
      const root = roots[i] as Place;
      diagnostics.error(
        `remote_url of backup point ${pair.name} (${path}) overlaps ${root.what} (${root.path})`,
        origin,
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
      `${place.what} writes ${place.path}, ${part}, as ${earlier.what} does: each run would replace the other's`,
      place.origin,
      'put {name} in remote_url or in remote_branch so that each collect point gets its own',
    );
  known.set(part, place);
  return known.size === 1 && earlier === undefined;
}

function reportOverlaps(places: readonly Place[], diagnostics: Diagnostics, hint: string): void {
  const index = new PathIndex();
  places.forEach((place, i) => {
    const first = index.add(place.path, i);
    if (first === undefined) return;
    const earlier = places[first] as Place;
    const how = earlier.path === place.path ? 'is the same directory as' : 'overlaps';
    diagnostics.error(
      `${place.what} (${place.path}) ${how} ${earlier.what} (${earlier.path}): each run would replace the other's copy`,
      place.origin,
      hint,
    );
  });
}
