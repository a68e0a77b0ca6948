import type { Diagnostics } from '../diag/diagnostic.js';
import type { BoundCollectPoint, BoundSource } from '../engines/engine.js';
import { isWithin } from '../engines/url.js';
import type { MirrorPlace } from './check-overlaps.js';
import { PathIndex } from './path-index.js';

/**
 * A source must not copy what its own run writes: its collect point (a copy inside the copy) or a
 * mirror of it (every run would nest the previous backup one level deeper), nor live inside a
 * mirror, which each run replaces. A collect point inside its source is excluded from the copy
 * by the engines, so only the opposite is refused.
 */
export function checkSourcePlaces(
  collectPoints: readonly BoundCollectPoint[],
  mirrors: readonly MirrorPlace[],
  diagnostics: Diagnostics,
): void {
  const index = new PathIndex();
  mirrors.forEach((mirror, i) => {
    index.add(mirror.path, i);
  });
  for (const cp of collectPoints) {
    for (const source of cp.sources) {
      const path = source.engine.location?.(source.options);
      if (path === undefined) continue;
      const refuse = (what: string, hint: string) =>
        diagnostics.error(`source "${source.name}" (${path}) ${what}`, originOf(source), hint);
      if (isWithin(path, cp.layout.root))
        refuse(
          `is inside collect point ${cp.name} (${cp.layout.root})`,
          'a collect point cannot back itself up',
        );
      for (const i of index.overlaps(path)) {
        const { pair, path: mirror } = mirrors[i] as MirrorPlace;
        if (isWithin(path, mirror))
          refuse(
            `is inside backup point ${pair.name} of ${pair.collectPoint} (${mirror})`,
            'each backup replaces that directory: back up the original directory instead',
          );
        else if (pair.collectPoint === cp.name)
          refuse(
            `contains backup point ${pair.name} of ${cp.name} (${mirror})`,
            'every run would copy the previous backup into the next one, one level deeper',
          );
      }
    }
  }
}

function originOf(source: BoundSource) {
  for (const option of ['source_path', 'source_url'])
    if (source.options.has(option)) return source.options.origin(option);
  return source.origin;
}
