import type { CollectEngine } from '../engine.js';

/** Keeps the collected files as plain files in `local_path/backups`. */
export const filesCollectPoint: CollectEngine = {
  role: 'collect',
  name: 'files',
  summary: 'Keep the collected files as plain files in LOCAL_PATH/backups.',
  options: [],
  exportDir: (layout) => layout.importDir,
  beforeSources: (cp) => [
    {
      kind: 'mkdir',
      path: cp.layout.importDir,
      origin: cp.options.origin('local_path'),
      summary: 'create the collect directory',
    },
  ],
  afterSources: () => [],
  restoreBeforeSources: () => [],
};
