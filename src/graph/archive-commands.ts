import type { Compression, PackSpec, UnpackSpec } from './action.js';
import type { Command, ToolPaths } from './command.js';
import { HOLDING_DIR } from './holding-dir.js';

/**
 * Each compressor reads standard input and writes standard output. gzip's `-n` leaves out a name
 * and a time, so that the same tree gives the same archive; xz and zstd compress on every CPU
 * (`-T0`). A drop-in replacement (pigz for gzip, lbzip2 or pbzip2 for bzip2) takes these options too.
 */
const COMPRESS: Readonly<Record<Compression, readonly string[]>> = {
  gzip: ['-c', '-n'],
  bzip2: ['-c'],
  xz: ['-c', '-T0'],
  zstd: ['-c', '-q', '-T0'],
};

/** The `[global]` tool that decompresses each compression (empty: the compressor itself). */
const DECOMPRESSOR: Readonly<Record<Compression, string>> = {
  gzip: 'gunzip',
  bzip2: 'bunzip2',
  xz: 'unxz',
  zstd: 'unzstd',
};

function decompressor(compression: Compression, tools: ToolPaths): string {
  const chosen = tools[DECOMPRESSOR[compression]];
  return chosen === undefined || chosen === '' ? (tools[compression] ?? compression) : chosen;
}

const DECOMPRESS: Readonly<Record<Compression, readonly string[]>> = {
  gzip: ['-d', '-c'],
  bzip2: ['-d', '-c'],
  xz: ['-d', '-c', '-T0'],
  zstd: ['-d', '-c', '-q'],
};

/**
 * The same tree gives the same archive: names sorted, POSIX format, extended headers named
 * without a process id and without access or change times. Owners are kept by name and number,
 * as a restore by root puts them back.
 */
const DETERMINISTIC = [
  '--format=posix',
  '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
  '--sort=name',
];

/**
 * tar streams the tree into the compressor, whose output tee writes to the partial and hands to
 * the decompressor, which reads it whole (the compressor's own checksums verified; tar's structure
 * is what tar wrote, and tar exited 0); the partial is then published over the archive (see
 * ARCHITECTURE.md: Archives are published whole).
 * With a listing, tar writes it as it packs (`-v -v --index-file`: what `tar -tv` lists), in the
 * C locale, so that names are written the same whatever the backend's environment; it is
 * published after the archive.
 */
export function packCommands(spec: PackSpec, tools: ToolPaths): Command[] {
  const tar = tools.tar ?? 'tar';
  const compressor = tools[spec.compression] ?? spec.compression;
  // Literal names: rsync's holding directories at any depth (as copies leave them out), and the
  // sources' leftovers at their place only.
  const excludes = [
    '--no-wildcards',
    `--exclude=${HOLDING_DIR}`,
    ...(spec.excludes.length === 0
      ? []
      : ['--anchored', ...spec.excludes.map((path) => `--exclude=./${path}`)]),
  ];
  const listing = spec.listing;
  return [
    { kind: 'create-file', path: spec.partial },
    ...(listing === undefined ? [] : [{ kind: 'create-file' as const, path: listing.partial }]),
    {
      kind: 'exec',
      argv: [
        tar,
        '-c',
        '-f',
        '-',
        ...(listing === undefined ? [] : ['-v', '-v', `--index-file=${listing.partial}`]),
        ...DETERMINISTIC,
        '--sparse',
        ...metadataOptions(spec),
        ...excludes,
        '-C',
        spec.from,
        '.',
      ],
      ...(listing === undefined ? {} : { env: { LC_ALL: { literal: 'C' } } }),
      // The compressed stream is checked whole as tee writes it: a compressor that exits 0 yet
      // wrote a truncated or unreadable stream never replaces the previous archive. Decompressing
      // while packing uses the CPU time the packing leaves, instead of reading the archive again.
      pipeline: [
        [compressor, ...COMPRESS[spec.compression]],
        [tools.tee ?? 'tee', '--', spec.partial],
        [decompressor(spec.compression, tools), ...DECOMPRESS[spec.compression]],
      ],
      stdout: '/dev/null',
    },
    { kind: 'publish-file', partial: spec.partial, file: spec.archive },
    ...(listing?.file === undefined
      ? []
      : [{ kind: 'publish-file' as const, partial: listing.partial, file: listing.file }]),
  ];
}

/**
 * Lists an archive with sizes (`tar -tv`), for the shrink guard: tar runs the decompressor itself
 * (`-I`, which it calls with `-d`), so the listing is one command.
 */
export function archiveListing(archive: string, compression: Compression, tools: ToolPaths): string[] {
  return [tools.tar ?? 'tar', '-t', '-v', '-f', archive, '-I', decompressor(compression, tools)];
}

/**
 * The figures of a kept `tar -tv` listing (regular files and hard links, the bytes of the regular
 * ones) in the lines of rsync's --stats that copyStats reads: one awk pass, where the script's own
 * loop over every line of a large listing would take longer than the rest of the guard. awk fails
 * on a listing that is missing.
 */
export function keptListing(listing: string): string[] {
  return ['awk', LISTING_SUM, listing];
}

const LISTING_SUM =
  '/^[-h]/ { files++ } /^-/ { bytes += $3 } END { printf "Number of files: %.0f (reg: %.0f)\\nTotal file size: %.0f bytes\\n", NR, files, bytes }';

/** Extraction keeps modes whatever the umask, and every extended attribute, like `rsync -X`. */
export function unpackCommands(spec: UnpackSpec, tools: ToolPaths): Command[] {
  const xattrs = spec.metadata.xattrs ? ['--xattrs', '--xattrs-include=*'] : [];
  return [
    {
      kind: 'exec',
      argv: [decompressor(spec.compression, tools), ...DECOMPRESS[spec.compression]],
      stdin: spec.archive,
      pipeline: [
        [
          tools.tar ?? 'tar',
          '-x',
          '-f',
          '-',
          '-p',
          ...xattrs,
          ...(spec.metadata.acls ? ['--acls'] : []),
          '-C',
          spec.into,
        ],
      ],
      explains: [{ status: 'other', message: spec.unreadable }],
    },
  ];
}

function metadataOptions(spec: PackSpec): string[] {
  return [...(spec.metadata.xattrs ? ['--xattrs'] : []), ...(spec.metadata.acls ? ['--acls'] : [])];
}
