import type { Diagnostics } from '../../diag/diagnostic.js';
import type { Origin } from '../../diag/origin.js';
import type { ActionDraft, ResticKeep, ResticRepository, ResticRestoreSpec } from '../../graph/action.js';
import type { OptionSpec, OptionValues } from '../../options/schema.js';
import { formatTimestamp, recordedVariables, type Variables } from '../../options/variables.js';
import { newestFirst } from '../../retention/retention.js';
import { COPY_GUARD_OPTION, COPY_METADATA_OPTIONS } from '../copy-in-place.js';
import type { BackupEngine, BoundBackupPoint, BoundCollectPoint, RestoreContext } from '../engine.js';
import { atText } from '../toolkit.js';
import { datedEntry, type RecordedArchive, recordedArchives, retainSeries } from './archive-series.js';
import { leftUnchanged, noCopyMessage, olderCopy, unreadableCopy } from './expect-fetched.js';
import {
  BACKEND_OPTIONS,
  checkResticRepository,
  parseResticLocation,
  resticRepository,
} from './restic-repository.js';
import { type CopyNoun, checkPolicy, policyOf, retentionOptions } from './retention-options.js';
import { sourceLeftovers } from './source-leftovers.js';
import { restoreThroughStaging } from './staged-restore.js';

const RESTORED_METADATA_HELP: Readonly<Record<string, string>> = {
  preserve_xattrs:
    'Copy extended attributes from a snapshot into the collect point on restore (rsync -X; every snapshot holds them); turn off where its filesystem has none.',
  preserve_acls:
    'Copy POSIX ACLs from a snapshot into the collect point on restore (rsync -A; every snapshot holds them); turn off where its filesystem has none.',
};

const SNAPSHOTS: CopyNoun = { one: 'snapshot', many: 'snapshots', a: 'a' };

const BACKEND_HELP: Readonly<Record<(typeof BACKEND_OPTIONS)[number], string>> = {
  remote_username:
    'Key id or account: s3 AWS_ACCESS_KEY_ID, swift OS_USERNAME and ST_USER, b2 B2_ACCOUNT_ID, azure AZURE_ACCOUNT_NAME, gs GOOGLE_PROJECT_ID; required by those backends only.',
  remote_secret:
    'Secret key: s3 AWS_SECRET_ACCESS_KEY, swift OS_PASSWORD and ST_KEY, b2 B2_ACCOUNT_KEY, azure AZURE_ACCOUNT_KEY, gs GOOGLE_APPLICATION_CREDENTIALS (the key file); required by those backends only; a secret, given to restic in its environment.',
  remote_auth_url: 'swift: ST_AUTH and OS_AUTH_URL (required for swift).',
  remote_region_name: 'swift: OS_REGION_NAME.',
  remote_user_domain_name: 'swift: OS_USER_DOMAIN_NAME.',
  remote_project_name: 'swift: OS_TENANT_ID and OS_PROJECT_NAME.',
  remote_project_domain_name: 'swift: OS_TENANT_NAME and OS_PROJECT_DOMAIN_NAME.',
};

const RESTIC_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'remote_url',
    type: 'string',
    required: true,
    urlPasswordSecret: 'as-written',
    help: "The restic repository: /path (or local:/path), sftp:[user@]host:/path, sftp://[user@]host[:port]//path, rest:http(s)://[user:password@]host[:port]/path, rclone:remote:path, s3:..., swift:..., b2:..., azure:... or gs:.... Collect points may share it: each snapshot is tagged with its collect point's name. A REST password is a secret: restic reads the location from a private file (--repository-file), never from its command line.",
  },
  {
    name: 'password',
    type: 'string',
    required: true,
    secret: true,
    help: "The repository's password: a secret, given to restic in its environment (RESTIC_PASSWORD).",
  },
  ...BACKEND_OPTIONS.map(
    (name): OptionSpec => ({
      name,
      type: 'string',
      help: BACKEND_HELP[name],
      ...(name === 'remote_secret' ? { secret: true } : {}),
    }),
  ),
  {
    name: 'init_repository',
    type: 'boolean',
    default: 'true',
    help: 'Create the repository (restic init) when restic says that it does not exist; any other failure to open it fails the run and creates nothing.',
  },
  {
    name: 'private_key',
    type: 'absolute-path',
    onHost: 'readable-file',
    help: 'ssh identity file (ssh -i), for sftp: repositories.',
  },
  {
    name: 'ssh_options',
    type: 'string',
    help: 'Extra ssh arguments for sftp: repositories, split like a shell would (quotes, backslashes), e.g. -o StrictHostKeyChecking=yes.',
  },
  ...retentionOptions(SNAPSHOTS),
  // restic keeps both in every snapshot; these say whether a restore copies them on into the
  // collect point, where a filesystem without them would make the copy fail.
  ...COPY_METADATA_OPTIONS.map(
    (option): OptionSpec => ({ ...option, help: RESTORED_METADATA_HELP[option.name] ?? option.help }),
  ),
  {
    ...COPY_GUARD_OPTION,
    help: 'A restore that would empty the collect point, or remove more than this share (0-100) of its files or bytes, is refused unless --allow-shrink is given.',
  },
];

/**
 * Snapshots of the collect point in a restic repository, tagged with its name and dated with the
 * plan's time; `restic forget --prune` keeps a calendar history of them, as the plan says.
 */
export const restic: BackupEngine = {
  role: 'backup',
  name: 'restic',
  summary:
    "Take a restic snapshot of the collect point on each run (local, sftp:, rest:, rclone: or cloud repositories), tagged with the collect point's name, and keep a calendar history of them with restic forget.",
  options: RESTIC_OPTIONS,
  check(options, diagnostics) {
    checkResticRepository(options, diagnostics);
    checkPolicy(options, diagnostics, SNAPSHOTS);
  },
  checkPair: checkTag,
  location: localRepository,
  heldCopy(bp, last) {
    const path = localRepository(bp.options);
    const snapshots = recordedSnapshots(last.recorded).length;
    if (path === undefined || snapshots === 0) return undefined;
    // restic init would otherwise make a new, empty repository where the disk should be.
    const what = `${snapshots} snapshot${snapshots === 1 ? '' : 's'}`;
    return { path, kind: 'directory', what, held: `held ${what}` };
  },
  locationPart: (_options, collectPoint) => `the snapshots tagged ${collectPoint}`,
  backup(bp, cp, context) {
    const repository = resticRepository(bp);
    const origin = bp.options.origin('remote_url');
    const current = snapshotOf(bp.variables);
    const policy = policyOf(bp.options);
    const series = retainSeries(recordedSnapshots(context.recorded), current, policy, {
      allowMassDelete: context.allowMassDelete,
      origin,
      what: `backup point ${bp.name} of ${cp.name}`,
      // restic 0.14 (Debian 12) keeps no more than each rule's count: a later restic, which also
      // keeps the oldest snapshot while a count is not used up, keeps more, never less.
      oldestFallback: false,
      copies: 'snapshots',
    });
    const init: ActionDraft[] = bp.options.boolean('init_repository')
      ? [
          {
            kind: 'restic-init',
            repository,
            origin,
            summary: `create the repository ${repository.url} unless it exists`,
          },
        ]
      : [];
    const forget: ActionDraft[] =
      series.deletions.length === 0
        ? []
        : [
            unlock(repository, origin),
            {
              kind: 'restic-forget',
              repository,
              tag: cp.name,
              keep: resticKeep(policy),
              origin,
              summary: `forget the ${series.deletions.length === 1 ? 'snapshot' : `${series.deletions.length} snapshots`} of "${cp.name}" that no retention rule keeps, and prune`,
            },
          ];
    return {
      drafts: [
        ...init,
        unlock(repository, origin),
        {
          kind: 'restic-backup',
          repository,
          from: cp.exportDir,
          tag: cp.name,
          time: current.id.slice(SNAPSHOT_PREFIX.length, SNAPSHOT_PREFIX.length + 19),
          excludes: sourceLeftovers(cp),
          origin,
          summary: `snapshot "${cp.name}" into ${repository.url}`,
        },
        ...forget,
      ],
      recorded: series.recorded,
      notes: series.notes,
      warnings: series.warnings,
    };
  },
  restore(bp, cp, context) {
    const repository = resticRepository(bp);
    const at = context.at === undefined ? undefined : atText(context.at);
    const when = at === undefined ? '' : ` taken at or before ${at}`;
    const unreadableRepository = unreadableCopy(bp, cp, { shown: repository.url, tool: 'restic' });
    return restoreThroughStaging(
      bp,
      cp,
      {
        from: 'restored from',
        aside: 'where the snapshot is restored',
        copy: `the snapshot of "${cp.name}"${when} in ${repository.url}`,
      },
      (staging, origin) => [
        // The first to open the repository: one that cannot be opened is said here.
        unlock(repository, origin, unreadableRepository),
        {
          kind: 'restic-restore',
          repository,
          tag: cp.name,
          into: staging,
          ...(at === undefined ? {} : { at }),
          missing: noCopyMessage(
            bp,
            cp,
            `${repository.url} holds no snapshot tagged "${cp.name}": nothing was restored`,
          ),
          // Damaged or gone since the unlock read it.
          unlisted: unreadableRepository,
          ...newestRecorded(cp, repository.url, context),
          unreadable: `the snapshot of "${cp.name}" could not be restored whole (restic says why above): ${leftUnchanged(cp)}; ${olderCopy('snapshot')}`,
          origin,
          summary: `restore the newest snapshot of "${cp.name}"${when} from ${repository.url} (the collect point is not touched unless it is whole)`,
        },
      ],
    );
  },
  // The snapshots its successes recorded: a restore with --at chooses this point by them, and the
  // run takes the newest one that the repository holds.
  copies: (recorded) => recordedSnapshots(recorded).map((s) => new Date(s.instant)),
  copyFoundAtRun: true,
};

/**
 * Before each restic command that locks the repository (backup, forget and prune, restore): the
 * locks of restic processes that are gone, which a killed run leaves and which would make every
 * later run fail until someone unlocks the repository by hand, are removed; live ones stay.
 */
const unlock = (repository: ResticRepository, origin: Origin, unreadable?: string): ActionDraft => ({
  kind: 'restic-unlock',
  repository,
  ...(unreadable === undefined ? {} : { unreadable }),
  origin,
  summary: `remove the locks that restic processes which are gone left in ${repository.url}`,
});

const SNAPSHOT_PREFIX = 'snapshot of ';

/** The snapshot a run takes, named by the plan's time as restic records it (`--time`). */
function snapshotOf(variables: Variables): RecordedArchive {
  const { Y, m, d, H, M, S, z } = variables;
  const entry = {
    ...recordedVariables(variables),
    snapshot: `${SNAPSHOT_PREFIX}${Y}-${m}-${d} ${H}:${M}:${S} ${z}`,
  };
  const snapshot = parseSnapshot(entry);
  if (snapshot === undefined) throw new Error('restic: the plan has no complete time');
  return snapshot;
}

/** The repository's path when it is on this host; undefined for every other backend. */
function localRepository(options: OptionValues): string | undefined {
  const location = parseResticLocation(options.string('remote_url'));
  return location.kind === 'local' ? location.path : undefined;
}

const parseSnapshot = (entry: unknown): RecordedArchive | undefined =>
  datedEntry(entry, 'snapshot', (id) => id.startsWith(SNAPSHOT_PREFIX));

const recordedSnapshots = (recorded: unknown): RecordedArchive[] => recordedArchives(recorded, parseSnapshot);

function resticKeep(policy: ReturnType<typeof policyOf>): ResticKeep {
  return {
    last: policy.last,
    hourly: policy.hourly,
    daily: policy.daily,
    weekly: policy.weekly,
    monthly: policy.monthly,
    yearly: policy.yearly,
  };
}

/**
 * The newest snapshot this point's backups recorded, not after --at: restic skips a snapshot it
 * cannot decode and would restore an older one in its place, without a word but its own line.
 */
function newestRecorded(
  cp: BoundCollectPoint,
  url: string,
  context: RestoreContext,
): Pick<ResticRestoreSpec, 'recorded'> {
  const limit = context.at?.getTime() ?? Number.POSITIVE_INFINITY;
  const newest = newestFirst(recordedSnapshots(context.recorded)).find((s) => s.instant <= limit);
  if (newest === undefined) return {};
  const taken = new Date(newest.instant);
  return {
    recorded: {
      at: atText(taken),
      missing: `the newest snapshot of "${cp.name}" that its backups recorded (taken ${formatTimestamp(taken)}) is not among those restic could read in ${url} (gone, or damaged: restic says why above): nothing was restored, ${leftUnchanged(cp)}; ${olderCopy('snapshot')}`,
    },
  };
}

/** restic reads a comma in `--tag` as "and": a collect point's name must be one tag. */
function checkTag(bp: BoundBackupPoint, cp: BoundCollectPoint, diagnostics: Diagnostics): void {
  if (!/[,\s]/.test(cp.name) && cp.name !== '') return;
  diagnostics.error(
    `backup point "${bp.name}" tags its snapshots with the collect point's name, and "${cp.name}" is not one restic tag`,
    cp.origin,
    'name the collect point without commas or spaces',
  );
}
