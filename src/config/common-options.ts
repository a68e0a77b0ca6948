import type { OptionSpec } from '../options/schema.js';
import { METADATA_OPTIONS } from './metadata-options.js';

const frequency: OptionSpec = {
  name: 'frequency',
  type: 'frequency',
  default: 'always',
  help: "How often the point runs: 'always', N seconds, 'hourly', 'daily[:H]', 'weekly[:D]' (0=Monday) or 'monthly[:D]'.",
};

/** Options of every `[point]` in a `.collect` file, whatever its engine. */
export const COLLECT_POINT_OPTIONS: readonly OptionSpec[] = [
  { name: 'local_path', type: 'absolute-path', required: true, help: 'Directory of the collect point.' },
  frequency,
  { name: 'collect_point_tags', type: 'list', default: 'collect', help: 'Tags of this collect point.' },
  {
    name: 'included_backup_point_tags',
    type: 'list',
    default: '*',
    help: 'Backup points with a tag matching one of these patterns are associated.',
  },
  {
    name: 'excluded_backup_point_tags',
    type: 'list',
    default: '',
    help: 'Backup points with a tag matching one of these patterns are never associated.',
  },
];

/** Options of every `[point]` in a `.backup` file, but `metadata_*`, which are resolved per pair. */
export const BACKUP_POINT_OWN_OPTIONS: readonly OptionSpec[] = [
  frequency,
  { name: 'backup_point_tags', type: 'list', default: 'backup', help: 'Tags of this backup point.' },
  {
    name: 'included_collect_point_tags',
    type: 'list',
    default: '*',
    help: 'Collect points with a tag matching one of these patterns are associated.',
  },
  {
    name: 'excluded_collect_point_tags',
    type: 'list',
    default: '',
    help: 'Collect points with a tag matching one of these patterns are never associated.',
  },
];

/** Options of every `[point]` in a `.backup` file. */
export const BACKUP_POINT_OPTIONS: readonly OptionSpec[] = [...BACKUP_POINT_OWN_OPTIONS, ...METADATA_OPTIONS];

const EXECUTABLE_NAMES = [
  'rsync',
  'curl',
  'rclone',
  'restic',
  'scp',
  'ssh',
  'tar',
  'svn',
  'git',
  'k5start',
] as const;

/** The compressors of archive backup points, with what may replace each one. */
const COMPRESSOR_HELP = {
  gzip: 'Compressor of .tar.gz archives (gzip -c -n, gzip -d -c); pigz, which takes the same options, compresses on every CPU.',
  bzip2:
    'Compressor of .tar.bz2 archives (bzip2 -c, bzip2 -d -c); lbzip2 or pbzip2, which take the same options, compress on every CPU.',
  xz: 'Compressor of .tar.xz archives, run on every CPU (xz -c -T0, xz -d -c -T0).',
  zstd: 'Compressor of .tar.zst archives, run on every CPU (zstd -c -q -T0, zstd -d -c -q).',
} as const;

/**
 * The decompressor of each compression, by the usual name of its command: what checks an archive
 * as it is packed, lists it for the shrink guard and unpacks it for a restore, run with `-d -c`
 * like the compressor. Empty (the default): the compressor's executable. A faster one keeps the
 * check that every archive is readable cheap (igzip decompresses gzip about twice as fast as gzip).
 */
const DECOMPRESSOR_HELP = {
  gunzip:
    'Decompressor of .tar.gz archives (gunzip -d -c), for the check of each new archive, its listing and restores; empty: gzip_executable. igzip (Debian package isal) takes the same options and reads gzip about twice as fast.',
  bunzip2:
    'Decompressor of .tar.bz2 archives (bunzip2 -d -c), for the check of each new archive, its listing and restores; empty: bzip2_executable.',
  unxz: 'Decompressor of .tar.xz archives (unxz -d -c -T0), for the check of each new archive, its listing and restores; empty: xz_executable.',
  unzstd:
    'Decompressor of .tar.zst archives (unzstd -d -c -q), for the check of each new archive, its listing and restores; empty: zstd_executable.',
} as const;

/** `[global]` of `.global` files: tool paths. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  ...EXECUTABLE_NAMES.map((tool) => ({
    name: `${tool}_executable`,
    type: 'string' as const,
    default: tool,
    variables: false,
    onHost: 'executable' as const,
    help: `Path or name of the ${tool} executable.`,
  })),
  ...Object.entries(COMPRESSOR_HELP).map(([tool, help]) => ({
    name: `${tool}_executable`,
    type: 'string' as const,
    default: tool,
    variables: false,
    onHost: 'executable' as const,
    help,
  })),
  ...Object.entries(DECOMPRESSOR_HELP).map(([tool, help]) => ({
    name: `${tool}_executable`,
    type: 'string' as const,
    default: '',
    variables: false,
    onHost: 'executable' as const,
    help,
  })),
];

export type Tool =
  | (typeof EXECUTABLE_NAMES)[number]
  | keyof typeof COMPRESSOR_HELP
  | keyof typeof DECOMPRESSOR_HELP;
