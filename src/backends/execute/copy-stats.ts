import type { CopyFigures } from '../../graph/command.js';
import { RSYNC_RESERVED_HIDDEN } from '../tool-conventions.js';

/**
 * What a copy would receive or received: regular files, their bytes and the entries (the top
 * directory counts as one) an rsync --stats reports, else the files and bytes of an `rclone size
 * --json` (as many entries as files), else those of an archive's `tar -tv` listing
 * (regular files and hard links, the bytes of the regular ones; no entries counted); zeros when
 * there are none (a directory or an archive that does not exist yet). Twin of
 * polyarchiv_copy_stats (helpers-copy-stats.hbs). Each figure is read at the start of a line: a
 * file name that an rsync line quotes (--debug=FILTER1) never passes for one.
 */
export function copyStats(output: string): CopyFigures & { entries: number } {
  const sized = /^\{"count":(\d+),"bytes":(\d+)/m.exec(output);
  if (sized !== null) {
    const files = Number(sized[1]);
    return { files, bytes: Number(sized[2]), entries: files };
  }
  const entries = /^Number of files: (\d+)/m.exec(output)?.[1];
  const bytes = /^Total file size: (\d+) bytes/m.exec(output)?.[1];
  if (entries !== undefined || bytes !== undefined) {
    const files = /^Number of files: \d+ \([^)]*reg: (\d+)/m.exec(output)?.[1];
    return { files: Number(files ?? 0), bytes: Number(bytes ?? 0), entries: Number(entries ?? 0) };
  }
  const listed = { files: 0, bytes: 0, entries: 0 };
  for (const line of output.split('\n')) {
    const entry = /^[-h]\S*\s+\S+\s+(\d+)\s/.exec(line);
    if (entry === null) continue;
    listed.files += 1;
    if (line.startsWith('-')) listed.bytes += Number(entry[1]);
  }
  return listed;
}

/**
 * The entries of the reserved name that an rsync run with --debug=FILTER1 names as hidden
 * (`directory a/NAME`, `file NAME`), in their order. Twin of polyarchiv_reserved_hidden
 * (helpers-copy-stats.hbs).
 */
export function reservedEntriesHidden(output: string): string[] {
  const { prefix, suffix } = RSYNC_RESERVED_HIDDEN;
  if (!output.includes(suffix)) return [];
  return output
    .split('\n')
    .filter((line) => line.startsWith(prefix) && line.endsWith(suffix))
    .map((line) => line.slice(prefix.length, line.length - suffix.length));
}
