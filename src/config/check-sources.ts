import type { Diagnostics } from '../diag/diagnostic.js';
import type { BoundCollectPoint, BoundSource } from '../engines/engine.js';
import { isWithin } from '../engines/url.js';
import { type MirrorPlace, type RealPaths, realOf, shownPath } from './check-overlaps.js';
import { PathIndex } from './path-index.js';

/**
 * A source must not copy what its own run writes: its collect point (a copy inside the copy) or a
 * mirror of it (every run would nest the previous backup one level deeper), nor live inside a
 * mirror, which each run replaces. A collect point inside its source is excluded from the copy
 * by the engines (`collectPointWithin`), so only the opposite is refused. Directories are
 * compared where they lead on this machine (`real`), so that a symbolic link cannot hide one
 * inside another.
 */
export function checkSourcePlaces(
  collectPoints: readonly BoundCollectPoint[],
  mirrors: readonly MirrorPlace[],
  real: RealPaths,
  diagnostics: Diagnostics,
): void {
  const index = new PathIndex(mirrors.map((mirror) => realOf(real, mirror.path)));
  for (const cp of collectPoints) {
    const root = realOf(real, cp.layout.root);
    for (const source of cp.sources) {
      const path = source.engine.location?.(source.options);
      if (path === undefined) continue;
      const from = realOf(real, path);
      const refuse = (what: string, hint: string) =>
        diagnostics.error(
          `source "${source.name}" (${shownPath(path, from)}) ${what}`,
          originOf(source),
          hint,
        );
      if (isWithin(from, root))
        refuse(
          `is inside collect point ${cp.name} (${shownPath(cp.layout.root, root)})`,
          'a collect point cannot back itself up',
        );
      for (const i of index.overlaps(from)) {
        const { pair, path: mirror } = mirrors[i] as MirrorPlace;
        const to = realOf(real, mirror);
        if (isWithin(from, to))
          refuse(
            `is inside backup point ${pair.name} of ${pair.collectPoint} (${shownPath(mirror, to)})`,
            'each backup replaces that directory: back up the original directory instead',
          );
        else if (pair.collectPoint === cp.name)
          refuse(
            `contains backup point ${pair.name} of ${cp.name} (${shownPath(mirror, to)})`,
            'every run would copy the previous backup into the next one, one level deeper',
          );
      }
    }
  }
}

/**
 * The collect point's directory as seen from the tree its source copies (`/.backups`), when that
 * tree holds it on this machine; what the copy leaves out (see BoundSource.collectPointWithin).
 */
export function collectPointWithin(
  source: BoundSource,
  cp: BoundCollectPoint,
  real: RealPaths,
): string | undefined {
  const path = source.engine.location?.(source.options);
  if (path === undefined) return undefined;
  const from = realOf(real, path);
  const root = realOf(real, cp.layout.root);
  if (!isWithin(root, from) || root === from) return undefined;
  return from === '/' ? root : root.slice(from.length);
}

function originOf(source: BoundSource) {
  for (const option of ['source_path', 'source_url'])
    if (source.options.has(option)) return source.options.origin(option);
  return source.origin;
}
