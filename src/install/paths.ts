import { readFileSync } from 'node:fs';

/**
 * The installed package's root (where package.json is). This module sits two
 * directories below it both in the compiled tree (dist/install/) and in the bundle the command
 * runs (dist/bin/, whose chunks all sit in one directory): keep it at that depth.
 */
export const PACKAGE_ROOT = new URL('../../', import.meta.url);

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version: string }
).version;
