import { type Action, type ActionDraft, assertNever } from '../graph/action.js';
import { holdingDir } from '../graph/build-commands.js';
import { withoutTrailingSlashes } from '../graph/trailing-slashes.js';

/**
 * Gives each drafted action its id and edges: every action follows the previous one of its unit
 * (engines list their steps in order), and every writer gets a `mkdir` of the directory it
 * writes into unless an earlier `mkdir -p` already covers it.
 */
export function linkUnit(unitId: string, drafts: readonly ActionDraft[]): Action[] {
  const withParents: ActionDraft[] = [];
  const created: string[] = [];
  for (const draft of drafts) {
    for (const parent of writesInto(draft)) {
      if (isCreated(created, parent)) continue;
      withParents.push({ kind: 'mkdir', path: parent, origin: draft.origin, summary: `create ${parent}` });
      created.push(parent);
    }
    if (draft.kind === 'mkdir') {
      if (isCreated(created, draft.path)) continue;
      created.push(draft.path);
    }
    withParents.push(draft);
  }
  // Object.assign, not a spread: V8 gives each object spread from these drafts a hidden class of
  // its own, and a plan of thousands of units then holds thousands of them (megabytes, and slow).
  // Each id is made once and shared with the `after` of the next action.
  let previous: string | undefined;
  return withParents.map((draft, index) => {
    const id = `${unitId}/${index + 1}`;
    const after = previous === undefined ? NOTHING_BEFORE : [previous];
    previous = id;
    // Its id and edges set on the copy: no object made for them alone.
    const action = Object.assign({}, draft) as ActionDraft & { id: string; after: readonly string[] };
    action.id = id;
    action.after = after;
    return action as Action;
  });
}

/** The `after` of a unit's first action, shared by every unit. */
const NOTHING_BEFORE: readonly string[] = Object.freeze([]);

/** Whether an earlier `mkdir -p` made `dir`: the same directory or one below it. */
function isCreated(created: readonly string[], dir: string): boolean {
  const below = `${dir}/`;
  for (const made of created) if (made === dir || made.startsWith(below)) return true;
  return false;
}

/** The directories that must exist before the action runs. */
function writesInto(draft: ActionDraft): string[] {
  switch (draft.kind) {
    case 'rsync':
      // A push to another host (rsync --mkpath) creates its own target there.
      if (draft.remote?.side === 'to') return [];
      if (draft.inPlace !== true) return [parentOf(draft.to)];
      // A guarded copy makes its holding directory itself, once judged (CopyCommand.makeDir).
      return [draft.guard === undefined ? holdingDir(draft.to) : withoutTrailingSlashes(draft.to)];
    case 'dump':
      return [parentOf(draft.partial), parentOf(draft.output)];
    case 'pack':
      return [
        parentOf(draft.archive),
        ...(draft.listing === undefined ? [] : [parentOf(draft.listing.partial)]),
      ];
    case 'get-file':
    case 'get-newest-file':
      return [parentOf(draft.file)];
    case 'sync-dir':
      if (draft.direction === 'down') return [draft.local];
      return draft.changes === undefined ? [] : [parentOf(draft.changes.stamp)];
    case 'hash-index':
      return [parentOf(draft.partial)];
    case 'crypt-tree':
      return [draft.to];
    case 'put-file':
      // A push to another host (rsync --mkpath) creates its own directory there.
      return draft.transport === undefined ? [parentOf(draft.remote)] : [];
    case 'load':
      return draft.writes === undefined ? [] : [parentOf(draft.writes)];
    case 'verify-hashes':
    case 'unpack':
    case 'git-push':
    case 'git-fetch':
    case 'git-checkout-at':
    case 'apply-modes':
    case 'gitlab-project':
    case 'kerberos-ticket':
    case 'svn-config':
    case 'svn-checkout':
    case 'svn-commit':
    case 'svn-update':
    case 'delete-archive':
    case 'restic-init':
    case 'restic-unlock':
    case 'restic-backup':
    case 'restic-forget':
    case 'restic-restore':
    case 'replace-dir':
    case 'recover-dir':
    case 'mkdir':
    case 'private-file':
    case 'verify-dump':
    case 'expect-copy':
    case 'run':
    case 'reload-dir':
    case 'confirm':
    case 'align-mailboxes':
    case 'run-if-changed':
      return [];
    default:
      return assertNever(draft);
  }
}

function parentOf(path: string): string {
  const slash = withoutTrailingSlashes(path).lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}
