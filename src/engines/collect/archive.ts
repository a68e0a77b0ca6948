import type { Diagnostics } from '../../diag/diagnostic.js';
import type { ActionDraft, Compression } from '../../graph/action.js';
import type { OptionValues } from '../../options/schema.js';
import { compressionOf, partialOf, unreadableArchive } from '../backup/archive.js';
import { LIVE_UNCHANGED } from '../backup/expect-fetched.js';
import { copyMetadata } from '../copy-in-place.js';
import type { BoundCollectPoint, CollectEngine } from '../engine.js';
import { createCollectDir } from './files.js';

/**
 * Packs what the sources collected (`L/backups`, kept between runs so that their copies stay
 * incremental) into one compressed tarball, `L/archives/<archive_name>`, replaced whole on each
 * run: the backup points send `L/archives`. A restore extracts the fetched archive into the
 * emptied `L/backups`, from which the sources are restored.
 */
export const archiveCollectPoint: CollectEngine = {
  role: 'collect',
  name: 'archive',
  summary:
    'Keep the collected files in LOCAL_PATH/backups and pack them into LOCAL_PATH/archives/ARCHIVE_NAME (.tar.gz, .tar.bz2, .tar.xz or .tar.zst), which the backup points send.',
  options: [
    {
      name: 'archive_name',
      type: 'string',
      default: 'archive.tar.gz',
      help: 'The archive in LOCAL_PATH/archives: its extension (.tar.gz, .tar.bz2, .tar.xz or .tar.zst) chooses the compressor. A name with a date makes a new archive each run, and none is ever deleted.',
    },
    {
      name: 'preserve_xattrs',
      type: 'boolean',
      default: 'true',
      help: 'Keep extended attributes in the archive (tar --xattrs) and put them back on restore.',
    },
    {
      name: 'preserve_acls',
      type: 'boolean',
      default: 'true',
      help: 'Keep POSIX ACLs in the archive (tar --acls) and put them back on restore.',
    },
  ],
  check: checkArchiveName,
  exportDir: (layout) => `${layout.root}/archives`,
  beforeSources: (cp) => [createCollectDir(cp)],
  afterSources: (cp) => {
    const origin = cp.options.origin('archive_name');
    const archive = archiveOf(cp);
    return [
      { kind: 'mkdir', path: cp.exportDir, origin, summary: `create ${cp.exportDir}` },
      {
        kind: 'pack',
        from: cp.layout.importDir,
        archive,
        partial: partialOf(archive),
        compression: compressionOf(archive) as Compression,
        metadata: copyMetadata(cp.options),
        excludes: leftovers(cp),
        origin,
        summary: `pack the collected files into ${archive}, then check it and put it in place`,
      },
    ] satisfies ActionDraft[];
  },
  restoreBeforeSources: (cp) => {
    const origin = cp.options.origin('archive_name');
    const dir = cp.layout.importDir;
    const archive = archiveOf(cp);
    return [
      { kind: 'run', argv: ['rm', '-rf', '--', dir], origin, summary: `empty ${dir}` },
      { kind: 'mkdir', path: dir, origin, summary: `create ${dir}` },
      {
        kind: 'unpack',
        archive,
        into: dir,
        compression: compressionOf(archive) as Compression,
        metadata: copyMetadata(cp.options),
        unreadable: unreadableArchive(archive, `no source was restored: ${LIVE_UNCHANGED}`),
        origin,
        summary: `extract ${archive} into ${dir}`,
      },
    ] satisfies ActionDraft[];
  },
};

const archiveOf = (cp: BoundCollectPoint): string => `${cp.exportDir}/${cp.options.string('archive_name')}`;

/** What a source's failed run may leave beside its copy, relative to `L/backups`: never packed. */
function leftovers(cp: BoundCollectPoint): string[] {
  const root = `${cp.layout.importDir}/`;
  return cp.sources
    .flatMap((source) => source.engine.leftovers?.(source, cp) ?? [])
    .filter((path) => path.startsWith(root))
    .map((path) => path.slice(root.length));
}

function checkArchiveName(options: OptionValues, diagnostics: Diagnostics): void {
  const name = options.string('archive_name');
  if (compressionOf(name) !== undefined && !name.includes('/') && !name.startsWith('.')) return;
  diagnostics.error(
    `bad value for option 'archive_name': '${name}'`,
    options.origin('archive_name'),
    'expected a file name (no "/", not hidden) ending in .tar.gz, .tar.bz2, .tar.xz or .tar.zst',
  );
}
