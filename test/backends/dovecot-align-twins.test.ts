import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { alignMailboxes, lostUidSets } from '../../src/backends/execute/dovecot-align.js';
import type { MailboxAlignCommand } from '../../src/graph/command.js';
import { maskPattern } from '../../src/graph/user-mask.js';
import { partialFile, useWorkDir } from '../helpers/partials.js';
import { haveTools } from '../helpers/tools.js';
import { type Dovecot, saveSampleMail, startDovecot } from '../servers/dovecot.js';

const partial = (name: string) => partialFile(`${name}.hbs`);
const canRun = haveTools('/usr/sbin/dovecot', 'doveadm', 'bash', 'mktemp', 'cp');

interface Outcome {
  readonly code: number;
  readonly said: string[];
  /** Every mailbox of the copy, as `doveadm -f tab mailbox status` prints it. */
  readonly copy: string[];
  /** The users file that `doveadm backup -F` reads next. */
  readonly users: string;
  /** Why the step fails, as its failure records it (polyarchiv_say_why, sayWhy): '' when not said so. */
  readonly recorded: string;
}

const USERS = 'dovecot.site.mail.users';
const usersIn = (work: string) =>
  existsSync(join(work, USERS)) ? readFileSync(join(work, USERS), 'utf8') : '(none)';

describe.runIf(canRun)('polyarchiv_dovecot_align and alignMailboxes agree', () => {
  let dovecot: Dovecot;
  let root: string;

  beforeAll(() => {
    dovecot = startDovecot();
    saveSampleMail(dovecot);
    root = mkdtempSync(join(tmpdir(), 'polyarchiv-twin-dovecot-'));
    chmodSync(root, 0o711);
  }, 60_000);
  afterAll(() => {
    dovecot?.remove();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  /** The copy side's doveadm, as mail_owner, on the maildir of `user` in `dir`. */
  const copySide = (dir: string, user: string) => [
    ...['-c', dovecot.configFile, '-o', `mail_uid=${dovecot.mailOwner}`],
    ...['-o', `mail_home=${dir}/${user}`, '-o', `mail_location=maildir:${dir}/${user}:LAYOUT=fs`],
  ];

  /** A copy of every user's mailboxes, as a backup makes it, owned by mail_owner. */
  function backUp(dir: string): void {
    mkdirSync(dir);
    chownSync(dir, Number(dovecot.mailOwner), Number(dovecot.mailOwner));
    const remote = `doveadm ${copySide(dir, '%u').join(' ')} dsync-server -u%u`;
    const run = spawnSync('doveadm', [
      '-c',
      dovecot.configFile,
      '-o',
      `dsync_remote_cmd=${remote}`,
      'backup',
      '-A',
      'remote:x',
    ]);
    expect(run.status, run.stderr?.toString()).toBe(0);
  }

  function copyState(dir: string): string[] {
    return ['alice', 'bob', 'carol']
      .flatMap((user) =>
        dovecot
          .doveadm([
            ...copySide(dir, user).slice(2),
            '-f',
            'tab',
            'mailbox',
            'status',
            '-u',
            user,
            'messages uidnext guid',
            '*',
          ])
          .split('\n')
          .slice(1)
          .filter((line) => line !== '')
          .map((line) => `${user}\t${line}`),
      )
      .sort();
  }

  function command(dir: string, socket = '', mask = '', mailbox = ''): MailboxAlignCommand {
    return {
      kind: 'align-mailboxes',
      copyDir: dir,
      live: ['doveadm', '-c', dovecot.configFile],
      socket,
      copy: ['doveadm', '-c', dovecot.configFile, '-o', `mail_uid=${dovecot.mailOwner}`],
      users: USERS,
      mask,
      mailbox,
      selects: mask === '' ? 'the source' : `user_mask '${mask}' (site.collect:9)`,
      lacking: `mailbox '${mailbox}' (site.collect:10) for no user`,
    };
  }

  function viaScript(align: MailboxAlignCommand): Outcome {
    const work = mkdtempSync(join(tmpdir(), 'polyarchiv-twin-work-'));
    const run = spawnSync(
      'bash',
      [
        '-c',
        // The work directory goes with the shell: the users file is kept beside it first.
        `set -Eeuo pipefail; source "$1"; source "$2"; ${useWorkDir('$3')}; rc=0; ${commandLine(align)} || rc=$?; ! [[ -e $3/${USERS} ]] || cp -- "$3/${USERS}" "$3.users"; printf %s "\${polyarchiv_explained}" >"$3.why"; exit "$rc"`,
        'bash',
        partial('helpers'),
        partial('helpers-dovecot'),
        work,
      ],
      { encoding: 'utf8' },
    );
    const users = existsSync(`${work}.users`) ? readFileSync(`${work}.users`, 'utf8') : '(none)';
    const recorded = readFileSync(`${work}.why`, 'utf8');
    rmSync(work, { recursive: true, force: true });
    rmSync(`${work}.users`, { force: true });
    rmSync(`${work}.why`, { force: true });
    const said = run.stderr.split('\n').filter((l) => l.startsWith('polyarchiv: '));
    return {
      code: run.status ?? -1,
      said: said.map((l) => l.slice('polyarchiv: '.length)),
      copy: copyState(align.copyDir),
      users,
      recorded,
    };
  }

  async function viaExecutor(align: MailboxAlignCommand): Promise<Outcome> {
    const said: string[] = [];
    const workDir = mkdtempSync(join(tmpdir(), 'polyarchiv-twin-work-'));
    let recorded = '';
    const explain = (why: string) => {
      recorded = why;
    };
    const code = await alignMailboxes(
      align,
      { workDir, secrets: new Map(), processes: new Set(), explain },
      (line) => said.push(line),
    );
    const users = usersIn(workDir);
    rmSync(workDir, { recursive: true, force: true });
    return { code, said, copy: copyState(align.copyDir), users, recorded };
  }

  /** Two identical copies of `made`, one aligned by each backend. */
  async function both(made: string, socket = '', mask = '', mailbox = ''): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const backend of ['script', 'executor']) {
      const dir = join(root, backend);
      rmSync(dir, { recursive: true, force: true });
      spawnSync('cp', ['-a', made, dir]);
      const outcome = await (backend === 'script' ? viaScript : viaExecutor)(
        command(dir, socket, mask, mailbox),
      );
      // Each backend aligns a copy of its own: messages name it COPY.
      outcomes.push({
        ...outcome,
        said: outcome.said.map((line) => line.replaceAll(dir, 'COPY')),
        recorded: outcome.recorded.replaceAll(dir, 'COPY'),
      });
    }
    return outcomes;
  }

  it('refuse a copy that holds the mailbox for none of its users, before anything changes', async () => {
    const made = join(root, 'made-one-mailbox');
    backUp(made);
    const before = copyState(made);
    const [script, executor] = await both(made, '', 'a*', 'Archives/2025');
    expect(executor).toEqual(script);
    expect(script?.code).toBe(3);
    expect(script?.said).toEqual([
      "  the copy COPY holds mailbox 'Archives/2025' (site.collect:10) for no user: nothing was changed",
    ]);
    // The step's failure is why: said, and recorded.
    expect(script?.recorded).toBe(
      "the copy COPY holds mailbox 'Archives/2025' (site.collect:10) for no user: nothing was changed",
    );
    expect(script?.copy).toEqual(before);
    expect(script?.users).toBe('');
    // bob holds it: the same copy passes for him.
    const [held, heldByExecutor] = await both(made, '', 'b*', 'Archives/2025');
    expect(heldByExecutor).toEqual(held);
    expect(held?.code).toBe(0);
    expect(held?.users).toBe('bob\n');
  });

  it('raise the next UID of the mailboxes that received mail, skip unknown users and create nothing live', async () => {
    const made = join(root, 'made');
    backUp(made);
    // A user the userdb no longer knows: dsync skips them, so does the alignment.
    spawnSync('cp', ['-a', join(made, 'bob'), join(made, 'dave')]);
    const before = copyState(made);
    const late = 'Subject: late\n\nArrived after the backup.\n';
    dovecot.doveadm(['save', '-u', 'alice', '-m', 'INBOX'], late);
    dovecot.doveadm(['save', '-u', 'bob', '-m', 'Archives/2025'], late);
    dovecot.doveadm(['save', '-u', 'bob', '-m', 'Archives/2025'], late);
    // A wiped user: reading their mailboxes must not create their INBOX.
    rmSync(join(dovecot.mailDir, 'carol'), { recursive: true, force: true });

    const [script, executor] = await both(made);
    expect(executor).toEqual(script);
    expect(script?.code).toBe(0);
    // dave is said and left out of the users restored; carol, wiped live, is restored.
    expect(script?.said).toEqual([
      '  warning: the copy holds the mail of dave, whom Dovecot does not know: not restored',
    ]);
    expect(script?.users).toBe('alice\nbob\ncarol\n');
    const nextUid = (state: string[], user: string, mailbox: string) =>
      state.find((line) => line.startsWith(`${user}\t${mailbox}\t`))?.split('\t')[3];
    expect(nextUid(before, 'alice', 'INBOX')).toBe('3');
    expect(nextUid(script?.copy ?? [], 'alice', 'INBOX')).toBe('4');
    expect(nextUid(before, 'bob', 'Archives/2025')).toBe('2');
    expect(nextUid(script?.copy ?? [], 'bob', 'Archives/2025')).toBe('4');
    // Mailboxes that received nothing keep their next UID; no message changes.
    expect(nextUid(script?.copy ?? [], 'bob', 'INBOX')).toBe(nextUid(before, 'bob', 'INBOX'));
    const messages = (state: string[]) => state.map((line) => line.split('\t').slice(0, 3).join('\t'));
    expect(messages(script?.copy ?? [])).toEqual(messages(before));
    // Dovecot may start its mailbox list index there, but no INBOX (a maildir's cur/ and new/).
    expect(['cur', 'new'].filter((dir) => existsSync(join(dovecot.mailDir, 'carol', dir)))).toEqual([]);
  });

  /** Every message of the copy: user, mailbox, UID, flags and subject, as doveadm fetch prints them. */
  function copyMessages(dir: string): string[] {
    return ['alice', 'bob', 'carol']
      .flatMap((user) =>
        dovecot
          .doveadm([
            ...copySide(dir, user).slice(2),
            'fetch',
            '-u',
            user,
            'mailbox uid flags hdr.subject',
            'ALL',
          ])
          .split('\f\n')
          .filter((record) => record.trim() !== '')
          .map((record) => `user: ${user}\n${record.replace(/\\Recent ?/g, '').trim()}`),
      )
      .sort();
  }

  it('give the messages the live mailboxes lost since the backup new UIDs in the copy, and keep the others', async () => {
    // The sample as saved: alice's INBOX holds UIDs 1 and 2.
    dovecot.wipe();
    saveSampleMail(dovecot);
    const made = join(root, 'made-lost');
    backUp(made);
    const before = copyMessages(made);
    // alice's INBOX loses its first message, keeps its second and receives one; bob's
    // Archives/2025 loses its only message.
    dovecot.doveadm(['expunge', '-u', 'alice', 'mailbox', 'INBOX', 'uid', '1']);
    dovecot.doveadm(['save', '-u', 'alice', '-m', 'INBOX'], 'Subject: late\n\nArrived after the backup.\n');
    dovecot.doveadm(['expunge', '-u', 'bob', 'mailbox', 'Archives/2025', 'all']);

    const outcomes = (await both(made)).map((outcome, i) => ({
      ...outcome,
      messages: copyMessages(join(root, i === 0 ? 'script' : 'executor')),
    }));
    const [script, executor] = outcomes;
    expect(executor).toEqual(script);
    expect(script?.code).toBe(0);
    expect(script?.said).toEqual([]);
    const uidOf = (messages: string[], user: string, mailbox: string, subject: RegExp) =>
      messages
        .find((m) => m.startsWith(`user: ${user}\nmailbox: ${mailbox}\n`) && subject.test(m))
        ?.match(/\nuid: (\d+)/)?.[1];
    // The lost messages come after the live next UIDs (alice's INBOX: 4, bob's Archives/2025: 2).
    expect(uidOf(before, 'alice', 'INBOX', /subject: (?!Report)/i)).toBe('1');
    expect(uidOf(script?.messages ?? [], 'alice', 'INBOX', /subject: (?!Report)/i)).toBe('4');
    expect(uidOf(script?.messages ?? [], 'bob', 'Archives/2025', /Old/)).toBe('2');
    // The message still live keeps its UID; flags, subjects and mailboxes are those of the backup.
    expect(uidOf(script?.messages ?? [], 'alice', 'INBOX', /Report/)).toBe('2');
    const withoutUids = (messages: string[]) => messages.map((m) => m.replace(/\nuid: \d+/, '')).sort();
    expect(withoutUids(script?.messages ?? [])).toEqual(withoutUids(before));
    expect(withoutUids(before).join('\n')).toContain('flags: \\Flagged \\Seen');
    dovecot.wipe();
    saveSampleMail(dovecot);
  });

  it('list only the users of the copy that user_mask selects, as doveadm matches them, and fail on none', async () => {
    const made = join(root, 'made-masked');
    backUp(made);
    // doveadm's masks ignore the case of ASCII letters; other characters are literal.
    for (const [mask, users] of [
      ['a?ICE', 'alice\n'],
      ['*o*', 'bob\ncarol\n'],
      ['[ab]*', ''],
      ['*', 'alice\nbob\ncarol\n'],
    ] as const) {
      const [script, executor] = await both(made, '', maskPattern(mask));
      expect({ mask, ...executor }).toEqual({ mask, ...script });
      expect({ mask, users: script?.users }).toEqual({ mask, users });
      expect({ mask, code: script?.code }).toEqual({ mask, code: users === '' ? 2 : 0 });
    }
    // An empty copy restores no one: the restore fails before any mailbox changes.
    const empty = join(root, 'made-empty');
    mkdirSync(empty);
    const [script, executor] = await both(empty);
    expect(executor).toEqual(script);
    expect(script?.code).toBe(2);
    expect(script?.users).toBe('');
    expect(script?.said).toEqual([
      '  COPY holds the mail of no user that Dovecot knows and the source selects: nothing was changed',
    ]);
    expect(script?.recorded).toBe(
      'COPY holds the mail of no user that Dovecot knows and the source selects: nothing was changed',
    );
  });

  it('fail, saying why, when the live mailboxes cannot be read', async () => {
    const made = join(root, 'made-too');
    backUp(made);
    const [script, executor] = await both(made, join(root, 'no-such-socket'));
    expect(executor).toEqual(script);
    expect(script?.code).toBe(1);
    expect(script?.said).toEqual(['  cannot read the state of the live mailboxes of alice:']);
    expect(script?.recorded).toBe('');
  });
});

describe('polyarchiv_lost_uids and lostUidSets agree', () => {
  /** `doveadm search` output: one "GUID UID" line per UID. */
  const search = (uids: number[]) => uids.map((uid) => `0123abcd ${uid}`).join('\n');

  function viaScript(copy: string, live: string): string[] {
    const run = spawnSync(
      'bash',
      [
        '-c',
        'set -Eeuo pipefail; source "$1"; source "$2"; declare -a polyarchiv_lost_sets; polyarchiv_lost_uids "$3" "$4"; printf "%s\\n" "${polyarchiv_lost_sets[@]}"',
        'bash',
        partial('helpers'),
        partial('helpers-dovecot'),
        copy,
        live,
      ],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    return run.stdout.split('\n').filter((line) => line !== '');
  }

  const cases: Record<string, [number[], number[]]> = {
    'nothing lost': [
      [1, 2, 5],
      [1, 2, 5],
    ],
    'an empty copy': [[], [3]],
    "a range never spans a live message, and spans the copy's own gaps": [
      [1, 2, 4, 7, 8, 9, 12],
      [4, 9],
    ],
    'every message lost': [[3, 4, 5], []],
    'sets split past 4000 characters': [
      Array.from({ length: 6000 }, (_, i) => 100000 + i),
      Array.from({ length: 3000 }, (_, i) => 100000 + 2 * i),
    ],
  };
  for (const [name, [copy, live]] of Object.entries(cases)) {
    it(name, () => {
      const sets = lostUidSets(search(copy), search(live));
      expect(viaScript(search(copy), search(live))).toEqual(sets);
      // The sets name exactly the lost UIDs of the copy.
      const named = new Set(
        sets.flatMap((set) =>
          set.split(',').flatMap((range) => {
            const [first, last = first] = range.split(':').map(Number) as [number, number?];
            return copy.filter((uid) => uid >= first && uid <= (last ?? first));
          }),
        ),
      );
      expect([...named].sort((a, b) => a - b)).toEqual(copy.filter((uid) => !live.includes(uid)));
      for (const set of sets) expect(set.length).toBeLessThan(4100);
    });
  }
  it('splits a long set', () => {
    const copy = Array.from({ length: 6000 }, (_, i) => 100000 + i);
    const live = copy.filter((_, i) => i % 2 === 0);
    expect(lostUidSets(search(copy), search(live)).length).toBeGreaterThan(1);
    expect(lostUidSets(search([1, 2, 4, 7, 8, 9, 12]), search([4, 9]))).toEqual(['1:2,7:8,12']);
  });
});
