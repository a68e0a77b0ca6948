import { withoutTrailingSlashes } from './trailing-slashes.js';

/** Where rsync holds the updated files of an in-place copy until its transfer ends, in each directory. */
export const HOLDING_DIR = '.~polyarchiv~';

export const holdingDir = (target: string): string => `${withoutTrailingSlashes(target)}/${HOLDING_DIR}`;
