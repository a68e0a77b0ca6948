import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MailboxAlignCommand } from '../../graph/command.js';
import { type RunContext, spawnProblem, wordOf } from './run-exec.js';

/** doveadm's exit codes that a status of `*` may end with and that are not failures. */
const NO_SUCH_USER = 67;
const LISTED_PARENT_MISSING = 68;

interface MailboxState {
  readonly next: string;
  readonly guid: string;
}

/**
 * Twin of polyarchiv_mailbox_rows: `doveadm -f tab mailbox status 'uidnext guid'`, a header line
 * then NAME NEXT GUID per mailbox, the name read from the right.
 */
export function mailboxRows(output: string): Map<string, MailboxState> {
  const rows = new Map<string, MailboxState>();
  const lines = output.split('\n').slice(1);
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const fields = line.split('\t');
    const [guid, next] = [fields.pop(), fields.pop()];
    const name = fields.join('\t');
    if (name !== '') rows.set(name, { next: next ?? '', guid: guid ?? '' });
  }
  return rows;
}

/**
 * Twin of polyarchiv_dovecot_align (templates/partials/helpers-dovecot.hbs): raises the copy's
 * mailbox counters to the live ones before `doveadm backup -R`. Returns the helper's exit code.
 */
export function alignMailboxes(
  command: MailboxAlignCommand,
  ctx: RunContext,
  say: (line: string) => void,
): number {
  const live = command.live.map((word) => wordOf(word, ctx));
  const copy = command.copy.map((word) => wordOf(word, ctx));
  const via = command.socket === '' ? [] : ['-S', command.socket];
  for (const user of copyUsers(command.copyDir)) {
    // doveadm expands % in settings: the copy's path is written with them doubled.
    const location = join(command.copyDir, user).replaceAll('%', '%%');
    const at = [...copy, '-o', `mail_home=${location}`, '-o', `mail_location=maildir:${location}:LAYOUT=fs`];
    const fields = ['-u', user, 'uidnext guid', '*'];
    const liveBoxes = status(
      `the live mailboxes of ${user}`,
      [...live, '-f', 'tab', 'mailbox', 'status', ...via, ...fields],
      say,
    );
    if (liveBoxes === 'no-user') continue;
    if (liveBoxes === 'failed') return 1;
    const copyBoxes = status(
      `the mail copy of ${user}`,
      [...at, '-f', 'tab', 'mailbox', 'status', ...fields],
      say,
    );
    if (copyBoxes === 'no-user') continue;
    if (copyBoxes === 'failed') return 1;
    for (const [name, state] of copyBoxes) {
      const current = liveBoxes.get(name);
      // Another GUID is another mailbox, which dsync replaces anyway.
      if (current === undefined || current.guid !== state.guid || !isAhead(current.next, state.next))
        continue;
      const update = ['mailbox', 'update', '-u', user, '--min-next-uid', current.next, name];
      const raised = run([...at, ...update]);
      process.stderr.write(raised.stderr);
      if (raised.status !== 0) return 1;
    }
  }
  return 0;
}

const isAhead = (next: string, than: string): boolean =>
  /^[0-9]+$/.test(next) && /^[0-9]+$/.test(than) && BigInt(next) > BigInt(than);

/** The users of the copy: its directories, in the order of bash's glob (LC_ALL=C), dot names left out. */
function copyUsers(copyDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(copyDir);
  } catch {
    return [];
  }
  return names
    .filter((name) => !name.startsWith('.') && isDirectory(join(copyDir, name)))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Twin of polyarchiv_mailbox_status. */
function status(
  what: string,
  argv: readonly string[],
  say: (line: string) => void,
): Map<string, MailboxState> | 'no-user' | 'failed' {
  const result = run(argv);
  if (result.status !== 0 && result.status !== NO_SUCH_USER && result.status !== LISTED_PARENT_MISSING) {
    say(`  cannot read the state of ${what}:`);
    process.stderr.write(result.stderr);
    return 'failed';
  }
  return result.status === NO_SUCH_USER ? 'no-user' : mailboxRows(result.stdout);
}

function run(argv: readonly string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 30 });
  // A tool that cannot start says why, as bash would (exit 127).
  if (result.error !== undefined)
    return { status: 127, stdout: '', stderr: `polyarchiv: ${argv[0]}: ${spawnProblem(result.error)}\n` };
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}
