/** Where rsync holds the updated files of an in-place copy until its transfer ends, in each directory. */
export const HOLDING_DIR = '.~polyarchiv~';

export const holdingDir = (target: string): string => `${target.replace(/\/+$/, '')}/${HOLDING_DIR}`;
