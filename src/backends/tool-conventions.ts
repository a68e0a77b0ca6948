import { HOLDING_DIR } from '../graph/holding-dir.js';

/**
 * What the bash helpers and their twins in execute/ read from the tools they run, kept in one
 * place as their contracts are (graph/helper-contracts.ts): exit statuses, answers, output formats.
 */

/**
 * How restic says that a repository does not exist: an exit status of its own (0.17 and later),
 * or, before, its question after a failed read of the config file whose cause is "not found" in
 * one of the backends' words (local and sftp: no such file; rest, s3...: does not exist). An
 * unreachable server asks the same question with another cause, and is not taken for missing.
 */
export const RESTIC_MISSING = {
  status: 10,
  question: 'Is there a repository at the following location?',
  causes: ['no such file or directory', 'does not exist'],
} as const;
/** The HTTP statuses of the GitLab v4 API that polyarchiv_gitlab_project goes on with. */
export const GITLAB_ANSWERS = { found: 200, missing: 404, created: 201 } as const;
/**
 * What polyarchiv_gitlab_project and its twin add to a refusal of the API, by HTTP status, naming
 * the token's option and its line (`option 'api_key' (up.backup:5 [point])`): a wrong or
 * under-privileged token is fixed there.
 */
export const GITLAB_REFUSAL_HINTS = [
  {
    statuses: ['401', '403'],
    hint: (token: string) => `: check the token of ${token}, and that its user may create projects there`,
  },
  {
    statuses: ['404'],
    hint: (token: string) => `: no such namespace, or not visible to the user of the token of ${token}`,
  },
] as const;

/**
 * How polyarchiv_map_tree and its twin list a tree, one entry as two NUL-terminated fields:
 * type/mtime/ctime/mode/uid:gid/path, then the target of a symbolic link (else empty).
 */
export const TREE_LISTING_FORMAT = '%y/%T@/%C@/%m/%U:%G/%P\\0%l\\0';

/**
 * The awk program of polyarchiv_sum_listing, which sums a guarded copy's `find -printf '%y %s\n'`
 * listing (`incomingListing`) into the lines of rsync's --stats that polyarchiv_copy_stats reads:
 * the entries listed and the top directory, the regular files, and the bytes of regular files and
 * of symbolic links. Its twin in apply is TreeListingSum (execute/tree-listing.ts).
 */
export const TREE_LISTING_SUM =
  '/^f/ { files++ } /^[fl]/ { bytes += $2 } END { printf "Number of files: %.0f (reg: %.0f)\\nTotal file size: %.0f bytes\\n", NR + 1, files, bytes }';

/**
 * doveadm's exit codes that polyarchiv_dovecot_align and its twin read a mailbox status or a
 * search with: the user has no mail home in the copy (skipped), a listed mailbox is gone (not a
 * failure). Any other status but 0 fails the alignment.
 */
export const DOVEADM_READ = { noSuchUser: 67, listedMailboxMissing: 68 } as const;

/**
 * How many changes a restore's confirmation lists, polyarchiv_confirm and its twin alike: onto
 * an empty directory, a whole tree is one line per file. The rest are counted, deletions apart
 * (rsync's itemized `*deleting` lines).
 */
export const CONFIRM_LISTING = { lines: 200, deletion: '*deleting ' } as const;

/** What a probe of polyarchiv_exec_if_changed exits with, as `git diff --quiet` does. */
export const PROBE_STATUSES = { unchanged: 0, changed: 1 } as const;

/**
 * How rsync names an entry that a filter rule hides from a copy (--debug=FILTER1): the lines of
 * the rule that reserves the holding directories' name, which polyarchiv_copy and its twin read
 * in a copy of live data to say what it left out. rsync writes each on one line, `file NAME` or
 * `directory NAME`, the name's unprintable characters escaped.
 */
export const RSYNC_RESERVED_HIDDEN = {
  prefix: '[sender] hiding ',
  suffix: ` because of pattern ${HOLDING_DIR}`,
  /** How an entry that is no directory begins. */
  file: 'file ',
} as const;
