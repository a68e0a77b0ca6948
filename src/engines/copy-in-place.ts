import type { Origin } from '../diag/origin.js';
import type { ActionDraft, CopyMetadata, RsyncFilter, RsyncRemote, RsyncSpec } from '../graph/action.js';
import type { OptionSpec, OptionValues } from '../options/schema.js';
import type { Unfinished } from '../unfinished.js';
import type { BoundSource } from './engine.js';

type RsyncDraft = Extract<ActionDraft, { readonly kind: 'rsync' }>;

/** The guard of every copy: per source, and per backup point for its mirror. */
export const COPY_GUARD_OPTION: OptionSpec = {
  name: 'max_shrink_percent',
  type: 'integer',
  range: [0, 100],
  default: '50',
  help: 'A copy that held files and would become empty, or lose more than this share (0-100) of its files or bytes, is refused and the run fails, unless --allow-shrink is given. Also guards restores.',
};

/** Hard links of a source's tree, kept as links on backup and on restore (rsync -H). */
export const PRESERVE_HARD_LINKS_OPTION: OptionSpec = {
  name: 'preserve_hard_links',
  type: 'boolean',
  default: 'false',
  help: 'Preserve hard links (rsync -H).',
};

/** Extended attributes and ACLs travel with every copy unless turned off. */
export const COPY_METADATA_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'preserve_xattrs',
    type: 'boolean',
    default: 'true',
    help: 'Copy extended attributes (rsync -X), on backup and restore; turn off where a filesystem has none.',
  },
  {
    name: 'preserve_acls',
    type: 'boolean',
    default: 'true',
    help: 'Copy POSIX ACLs (rsync -A), on backup and restore; turn off where a filesystem has none.',
  },
];

/**
 * What a copy of a point's tree keeps besides contents and modes. A point whose engine has no
 * such option keeps them: a copy drops nothing that it was not told to drop.
 */
export function copyMetadata(options: OptionValues): CopyMetadata {
  const kept = (name: string) => !options.has(name) || options.boolean(name);
  return { xattrs: kept('preserve_xattrs'), acls: kept('preserve_acls') };
}

export interface CopySpec {
  readonly from: string;
  readonly target: string;
  readonly hardLinks: boolean;
  readonly metadata: CopyMetadata;
  readonly filters: readonly RsyncFilter[];
  readonly origin: Origin;
  readonly what: string;
  readonly maxShrinkPercent: number;
  /** One side is on another host (over ssh); shown as `host:path` in the summary. */
  readonly remote?: RsyncRemote;
  /** Files unchanged there are hard-linked rather than copied. */
  readonly linkDest?: string;
  /** `from` is live data: the copy says which entries there it leaves out (RsyncSpec). */
  readonly liveSource?: true;
  /** A restore's words for a copy that fails (RsyncSpec.unreadable). */
  readonly unreadable?: string;
}

/**
 * Mirrors `from` into `target` in place, at the cost of what changed: rsync holds every updated
 * file back until the whole transfer is received, then renames them in and deletes what `from`
 * no longer holds (see `inPlace` in RsyncSpec). A failed or killed copy leaves every file whole,
 * old or new.
 */
export function copyInPlace(spec: CopySpec): ActionDraft[] {
  const origin = spec.origin;
  const remote = spec.remote;
  const shown = (side: 'from' | 'to', path: string) =>
    remote?.side === side ? `${remote.host}:${path}` : path;
  // Key by key, in the order saved plans have always had them: thousands of copies skip a
  // temporary object and a copy of it for each optional key.
  const copy: Unfinished<RsyncDraft> = {
    kind: 'rsync',
    from: spec.from,
    to: spec.target,
    deleteExtraneous: true,
    inPlace: true,
    guard: { maxShrinkPercent: spec.maxShrinkPercent, what: spec.what },
    hardLinks: spec.hardLinks,
    metadata: spec.metadata,
    filters: spec.filters,
  };
  if (spec.remote !== undefined) copy.remote = spec.remote;
  if (spec.linkDest !== undefined) copy.linkDest = spec.linkDest;
  if (spec.unreadable !== undefined) copy.unreadable = spec.unreadable;
  // Polyarchiv's copy of live data follows the source's patterns as they are now.
  if (spec.liveSource === true) {
    copy.liveSource = true;
    copy.deleteExcluded = true;
  }
  copy.origin = origin;
  copy.summary = `update ${spec.what}${remote?.side === 'to' ? ` at ${shown('to', spec.target)}` : ''} from ${shown('from', spec.from)}`;
  // A push to another host creates its target there (rsync --mkpath), where rsync makes the
  // directories that hold updated files itself.
  if (remote?.side === 'to') return [copy as RsyncDraft];
  // The copy makes the directory where rsync holds updated files once its guard has passed
  // (CopyCommand.makeDir): a refused copy leaves no trace in its target.
  return [{ kind: 'mkdir', path: spec.target, origin, summary: `create ${spec.what}` }, copy as RsyncDraft];
}

export interface LiveRestoreSpec {
  /** The copy from the collect point into the live directory, without `inPlace` and `guard`. */
  readonly copy: RsyncSpec;
  readonly sourceName: string;
  /** How messages name the live directory: `/path` or `host:/path`. */
  readonly shown: string;
  readonly maxShrinkPercent: number;
  readonly origin: Origin;
  /** Added to the warning, e.g. what the copy leaves alone. */
  readonly note?: string;
}

/**
 * A restore into a live directory, in two steps: first the guard judges the fetched copy against
 * what the directory holds, the changes are listed and confirmed (nothing there has changed yet);
 * then the copy runs in place. The engine may put steps between them (creating the directory).
 */
export function liveRestore(spec: LiveRestoreSpec): { confirm: ActionDraft; push: ActionDraft } {
  const { shown, sourceName, origin } = spec;
  const guard = { maxShrinkPercent: spec.maxShrinkPercent, what: `${shown} (source "${sourceName}")` };
  return {
    confirm: {
      kind: 'confirm',
      warning: `source "${sourceName}": ${shown} becomes the backed-up copy; files created there since the backup are deleted and changed ones overwritten${spec.note === undefined ? '' : ` (${spec.note})`}:`,
      copy: { ...spec.copy, inPlace: true, guard, liveTarget: true },
      origin,
      summary: `judge the copy of source "${sourceName}" against ${shown}, list what restoring it changes there, and confirm`,
    },
    push: {
      kind: 'rsync',
      ...spec.copy,
      inPlace: true,
      liveTarget: true,
      origin,
      summary: `restore source "${sourceName}" into ${shown}, deleting what the copy does not hold`,
    },
  };
}

/**
 * A collect point inside the directory it backs up (local_path=/srv/backups, source_path=/srv, or
 * a local_path whose symbolic link leads there) would copy itself into itself: it is excluded,
 * anchored at the transfer root, as the copied tree names it.
 */
export function collectPointExclusion(source: BoundSource): RsyncFilter[] {
  const inside = source.collectPointWithin;
  return inside === undefined ? [] : [{ rule: 'exclude', pattern: `${inside}/` }];
}
