import type { ActionDraft } from '../../graph/action.js';
import type { BoundCollectPoint, CollectEngine } from '../engine.js';

/** The first step of every collect point that gathers plain files: its import directory. */
export function createCollectDir(cp: BoundCollectPoint): ActionDraft {
  return {
    kind: 'mkdir',
    path: cp.layout.importDir,
    origin: cp.options.origin('local_path'),
    summary: 'create the collect directory',
  };
}

/** Keeps the collected files as plain files in `local_path/backups`. */
export const filesCollectPoint: CollectEngine = {
  role: 'collect',
  name: 'files',
  summary: 'Keep the collected files as plain files in LOCAL_PATH/backups.',
  options: [],
  exportDir: (layout) => layout.importDir,
  beforeSources: (cp) => [createCollectDir(cp)],
  afterSources: () => [],
  restoreBeforeSources: () => [],
};
