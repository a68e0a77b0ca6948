/**
 * A collect point with one local_files source, "tree", copied from {root}/data: the configuration
 * of tests about what happens around a plain copy (fetches that find no copy or cannot read one).
 */
export const TREE_SITE = [
  '[point]',
  'engine = files',
  'local_path = {root}/collect/{name}',
  '',
  '[source "tree"]',
  'engine = local_files',
  'source_path = {root}/data',
  'destination_path = tree',
  '',
].join('\n');
