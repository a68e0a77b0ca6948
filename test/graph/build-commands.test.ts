import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/graph/action.js';
import { buildCommands } from '../../src/graph/build-commands.js';
import type { ExecCommand } from '../../src/graph/command.js';
import { toolsOf } from '../../src/graph/command-needs.js';
import { rsyncArgv, withoutHolding } from '../../src/graph/rsync-commands.js';

const origin = { file: 'site.collect', line: 5, section: 'source "data"' };
const base = { id: 'collect:site/1', origin, after: [], summary: 'copy' };

describe('buildCommands', () => {
  it('ends rsync options with -- and gives both paths a trailing slash', () => {
    const action: Action = {
      ...base,
      kind: 'rsync',
      from: '/srv/-data',
      to: '/backup/x',
      deleteExtraneous: true,
      hardLinks: true,
      filters: [
        { rule: 'include', pattern: '*.conf' },
        { rule: 'exclude', fromFile: '/etc/polyarchiv/excludes' },
      ],
      linkDest: '/backup/current',
    };
    expect(buildCommands(action)).toEqual([
      {
        kind: 'exec',
        argv: [
          'rsync',
          '-a',
          '--modify-window=-1',
          '--delete',
          '-S',
          '-H',
          '--include=*.conf',
          '--exclude-from=/etc/polyarchiv/excludes',
          '--link-dest=/backup/current',
          '--',
          '/srv/-data/',
          '/backup/x/',
        ],
      },
    ]);
  });

  it('flushes a copy in place once it ended: sync -f here, rsync --fsync on a receiving host', () => {
    const copy: Action = {
      ...base,
      kind: 'rsync',
      from: '/backup/www',
      to: '/srv/www',
      deleteExtraneous: true,
      hardLinks: false,
      filters: [],
      inPlace: true,
    };
    const local = buildCommands(copy);
    expect(local.map((c) => c.kind)).toEqual(['exec', 'exec']);
    expect(local[1]).toEqual({ kind: 'exec', argv: ['sync', '-f', '--', '/srv/www'] });
    expect((local[0] as ExecCommand).argv).not.toContain('--fsync');
    const pushed = buildCommands({ ...copy, remote: { side: 'to', host: 'web1', sshArgs: [] } });
    expect(pushed).toHaveLength(1);
    expect((pushed[0] as ExecCommand).argv).toContain('--fsync');
    const fetched = buildCommands({ ...copy, remote: { side: 'from', host: 'web1', sshArgs: [] } });
    expect(fetched[1]).toEqual({ kind: 'exec', argv: ['sync', '-f', '--', '/srv/www'] });
    // A copy that is not in place (none is planned so today) is left as it was.
    expect(buildCommands({ ...copy, inPlace: false })).toHaveLength(1);
  });

  it('runs every command that reaches a host with a keytab under k5start, and lists the tools it runs', () => {
    const kerberos = { keytab: '/etc/backup.keytab', ticketCache: 'krb5cc.offsite.site' };
    const k5start = ['k5start', '-q', '-x', '-U', '-f', '/etc/backup.keytab', '-k'];
    const cache = { prefix: 'FILE:', workFile: 'krb5cc.offsite.site' };
    const guarded: Action = {
      ...base,
      kind: 'rsync',
      from: '/c/backups',
      to: '/srv/site',
      remote: { side: 'to', host: 'store', sshArgs: ['-o', 'GSSAPIAuthentication=yes'], kerberos },
      deleteExtraneous: true,
      hardLinks: true,
      filters: [],
      inPlace: true,
      guard: { maxShrinkPercent: 50, what: 'the mirror' },
    };
    const [copy] = buildCommands(guarded);
    if (copy?.kind !== 'copy') throw new Error(`expected a copy, got ${copy?.kind}`);
    // The local walk runs as it is; the remote measure and the copy under k5start, and so does
    // the first copy both backends derive from the copy where it runs: rsync without its held
    // updates, under the same k5start. The mirror's host counts its side itself.
    expect(copy.incoming[0]).toBe('find');
    expect(copy.incomingListing).toBe(true);
    expect(copy.previous).toEqual([
      ...k5start,
      cache,
      '--',
      'ssh',
      '-o',
      'GSSAPIAuthentication=yes',
      '--',
      'store',
      "rsync -a -n --stats --no-h '--filter=H .~polyarchiv~' -- /srv/site/ /nonexistent-polyarchiv-measure",
    ]);
    for (const words of [copy.copy, withoutHolding(copy.copy)]) {
      expect(words.slice(0, 9)).toEqual([...k5start, cache, '--']);
      expect(words[9]).toBe('rsync');
    }
    if (guarded.kind !== 'rsync') throw new Error('an rsync action');
    expect(copy.copy.slice(10)).toEqual(rsyncArgv(guarded).slice(1));
    expect(copy.copy).toContain('--delay-updates');
    expect(withoutHolding(copy.copy).slice(10)).toEqual(rsyncArgv(guarded, 'ssh', false).slice(1));
    // awk sums the listing, cat and rm keep the copy's error output when it explains it: the
    // helper's own.
    expect(toolsOf(copy)).toEqual(['awk', 'cat', 'mkdir', 'rm', 'find', 'k5start', 'ssh', 'rsync']);
    const transport = { kind: 'ssh' as const, host: 'store', sshArgs: [], kerberos };
    const deleted = buildCommands({ ...base, kind: 'delete-archive', archive: '/srv/a.tar.gz', transport });
    expect((deleted[0] as ExecCommand).argv.slice(0, 10)).toEqual([...k5start, cache, '--', 'ssh']);
    expect(toolsOf(deleted[0] as ExecCommand)).toEqual(['k5start', 'ssh']);
    // The ticket's own step runs k5start alone.
    const [ticket] = buildCommands({ ...base, kind: 'kerberos-ticket', ...kerberos });
    expect(ticket).toEqual({ kind: 'exec', argv: [...k5start, cache] });
    expect(toolsOf(ticket as ExecCommand)).toEqual(['k5start']);
  });

  it('counts a side on another host there, quoted for its shell, unless a filter is read from a file here', () => {
    const pulled: Action = {
      ...base,
      kind: 'rsync',
      from: `/srv/it's "$HOME"`,
      to: '/c/backups/web',
      remote: { side: 'from', host: '[::1]', sshArgs: ['-p', '2222'] },
      deleteExtraneous: true,
      hardLinks: false,
      filters: [{ rule: 'exclude', pattern: '*.tmp' }],
      inPlace: true,
      guard: { maxShrinkPercent: 50, what: 'the copy' },
    };
    const [copy] = buildCommands(pulled);
    if (copy?.kind !== 'copy') throw new Error(`expected a copy, got ${copy?.kind}`);
    // Only the figures cross the network: the copy sends the file list once, not twice.
    expect(copy.incoming).toEqual([
      'ssh',
      '-p',
      '2222',
      '--',
      '::1',
      `rsync -a -n --stats --no-h '--filter=H .~polyarchiv~' '--exclude=*.tmp' -- '/srv/it'\\''s "$HOME"/' /nonexistent-polyarchiv-measure`,
    ]);
    expect(copy.incomingListing).toBeUndefined();
    // The copy's target is on this host: counted here, as it was.
    expect(copy.previous.slice(0, 2)).toEqual(['rsync', '-a']);
    const fromFile = {
      ...pulled,
      filters: [{ rule: 'exclude' as const, fromFile: '/etc/polyarchiv/excludes' }],
    };
    const [listed] = buildCommands(fromFile);
    if (listed?.kind !== 'copy') throw new Error(`expected a copy, got ${listed?.kind}`);
    expect(listed.incoming.slice(0, 5)).toEqual(['rsync', '-a', '-n', '--stats', '--no-h']);
    expect(listed.incoming).toContain(`[::1]:/srv/it's "$HOME"/`);
  });

  it("names rsync's remote shell among its tools, and no other tool's -e", () => {
    const exec = (...argv: string[]): ExecCommand => ({ kind: 'exec', argv });
    expect(toolsOf(exec('rsync', '-a', '-e', 'ssh -p 2222', '--', 'a/', 'b/'))).toEqual(['rsync', 'ssh']);
    expect(toolsOf(exec('sudo', '-n', '-u', 'www', '--', '/usr/bin/rsync', '-e', 'ssh', '--'))).toEqual([
      'sudo',
      '/usr/bin/rsync',
      'ssh',
    ]);
    // test's -e is no program, and test itself a bash builtin: nothing to list.
    expect(toolsOf(exec('test', '-e', '/srv/collect/backups/www'))).toEqual([]);
    expect(toolsOf(exec('sed', '-n', '-e', '/x/p'))).toEqual(['sed']);
  });

  it('creates a dump new before writing it, so that it never keeps the mode of a leftover', () => {
    const dump: Action = {
      ...base,
      kind: 'dump',
      argv: ['mysqldump', 'orders'],
      partial: '/c/metadata/work/orders.sql.partial',
      output: '/c/backups/orders.sql',
      maxShrinkPercent: 50,
      onSuspicious: 'fail',
      completeMark: '-- Dump completed',
    };
    const commands = buildCommands(dump);
    expect(commands.slice(0, 2)).toEqual([
      { kind: 'create-file', path: '/c/metadata/work/orders.sql.partial' },
      { kind: 'exec', argv: ['mysqldump', 'orders'], stdout: '/c/metadata/work/orders.sql.partial' },
    ]);
  });

  it('judges a dump before a restore loads it, refused unless the plan allows shrinking', () => {
    const verify: Action = {
      ...base,
      kind: 'verify-dump',
      input: '/c/backups/orders.sql',
      completeMark: '-- X',
    };
    const judged = (allowShrink: boolean) => buildCommands(verify, {}, { allowShrink });
    for (const allow of [false, true]) {
      expect(judged(allow)).toEqual([
        {
          kind: 'check-dump',
          partial: '/c/backups/orders.sql',
          previous: '',
          maxShrinkPercent: 0,
          onSuspicious: allow ? 'allow' : 'refuse',
          completeMark: '-- X',
        },
      ]);
    }
  });

  it('feeds a load through a program first when it has one, the tool reading its output', () => {
    const load: Action = {
      ...base,
      kind: 'load',
      argv: ['mysql', '--batch'],
      input: '/c/backups/orders.sql',
      through: ['sed', '-n', '1p'],
    };
    expect(buildCommands(load)).toEqual([
      {
        kind: 'exec',
        argv: ['sed', '-n', '1p'],
        stdin: '/c/backups/orders.sql',
        pipeline: [['mysql', '--batch']],
      },
    ]);
  });

  it('says what a missing copy means, for a path and for a directory that holds nothing', () => {
    const missing = 'the copy holds nothing';
    const [path] = buildCommands({ ...base, kind: 'expect-copy', expect: 'path', path: '/c/x', missing });
    expect(path).toEqual({
      kind: 'exec',
      argv: ['test', '-e', '/c/x'],
      explains: [{ status: 1, message: missing }],
    });
    const [entries] = buildCommands({ ...base, kind: 'expect-copy', expect: 'entries', path: '/c', missing });
    expect(entries).toMatchObject({
      argv: [
        'find',
        '-H',
        '/c',
        '-mindepth',
        '1',
        '-maxdepth',
        '1',
        '!',
        '-name',
        '.~polyarchiv~',
        '-print',
        '-quit',
      ],
      pipeline: [['grep', '-q', '.']],
      explains: [{ status: 1, message: missing }],
    });
    const [directory] = buildCommands({
      ...base,
      kind: 'expect-copy',
      expect: 'directory',
      path: '/d',
      missing,
    });
    expect(directory).toEqual({
      kind: 'exec',
      argv: ['test', '-d', '/d', '-o', '!', '-e', '/d'],
      explains: [{ status: 1, message: missing }],
    });
    // On another host the whole test runs there, so that ssh's own failure (255) is told apart.
    const transport = { kind: 'ssh' as const, host: 'backup.example.org', sshArgs: ['-o', 'BatchMode=yes'] };
    const [remote] = buildCommands({
      ...base,
      kind: 'expect-copy',
      expect: 'entries',
      path: "/m/it's",
      missing,
      transport,
    });
    expect(remote).toEqual({
      kind: 'exec',
      argv: [
        'ssh',
        '-o',
        'BatchMode=yes',
        '--',
        'backup.example.org',
        "find -H '/m/it'\\''s' -mindepth 1 -maxdepth 1 '!' -name '.~polyarchiv~' -print -quit | grep -q .",
      ],
      explains: [{ status: 1, message: missing }],
    });
  });

  it('uses the rsync of [global] rsync_executable', () => {
    const action: Action = {
      ...base,
      kind: 'rsync',
      from: '/a',
      to: '/b',
      deleteExtraneous: false,
      hardLinks: false,
      filters: [],
    };
    expect(buildCommands(action, { rsync: '/opt/rsync/bin/rsync' })).toEqual([
      { kind: 'exec', argv: ['/opt/rsync/bin/rsync', '-a', '--modify-window=-1', '-S', '--', '/a/', '/b/'] },
    ]);
  });

  it('protects a directory named like an option', () => {
    expect(buildCommands({ ...base, kind: 'mkdir', path: '/srv/-rf' })).toEqual([
      { kind: 'make-dir', path: '/srv/-rf' },
    ]);
  });

  it('turns a staged replacement into its recover and swap halves, the staged tree flushed with sync -f', () => {
    const paths = { staging: '/b/.x.new', target: '/b/x', previous: '/b/.x.old' };
    expect(buildCommands({ ...base, kind: 'recover-dir', ...paths })).toEqual([
      { kind: 'dir-recover', ...paths },
    ]);
    expect(buildCommands({ ...base, kind: 'replace-dir', ...paths })).toEqual([
      { kind: 'exec', argv: ['sync', '-f', '--', '/b/.x.new'] },
      { kind: 'dir-swap', ...paths },
    ]);
  });

  it("lists a server push before the question with the push's own words and --dry-run, its secret a reference", () => {
    const push = {
      direction: 'up',
      local: '/backup/site/backups/web',
      transport: {
        kind: 'rclone',
        remote: ':s3:',
        env: { RCLONE_S3_SECRET_ACCESS_KEY: { secret: 'POLYARCHIV_SECRET_SITE_WEB_SECRET_ACCESS_KEY' } },
        obscured: {},
        shown: 's3:/',
      },
      remote: '/assets/-site',
      excludes: [],
      guard: { maxShrinkPercent: 50, what: 's3://assets/-site (source "web")' },
    } as const;
    const [confirm] = buildCommands({ ...base, kind: 'confirm', warning: 'replaces', sync: push });
    const guarded = buildCommands({ ...base, kind: 'sync-dir', ...push }).find((c) => c.kind === 'copy');
    const sent = guarded?.kind === 'copy' ? guarded.copy : [];
    expect(sent).toEqual([
      'rclone',
      'sync',
      '--links',
      '--fast-list',
      '--exclude',
      '.~polyarchiv~/**',
      '--',
      '/backup/site/backups/web',
      ':s3:assets/-site',
    ]);
    expect(confirm).toEqual({
      kind: 'confirm',
      warning: 'replaces',
      preview: ['rclone', 'sync', '--dry-run', '--stats=0', '--log-format=', ...sent.slice(2)],
      env: push.transport.env,
      fetchedCopy: '/backup/site/backups/web',
    });
  });

  it('judges a mirror before it sends the files changed since its last upload, then syncs, then moves the stamp', () => {
    const login = [{ status: 'other', printed: '401 Unauthorized', message: 'check password' }] as const;
    const mirror = {
      direction: 'up',
      local: '/backup/site/backups',
      transport: {
        kind: 'rclone',
        remote: ':webdav:',
        env: { RCLONE_WEBDAV_URL: { literal: 'https://dav.example.net' } },
        obscured: { RCLONE_WEBDAV_PASS: 'POLYARCHIV_SECRET_OFFSITE_SITE_PASSWORD' },
        shown: 'https://dav.example.net',
        loginFailures: login,
      },
      remote: '/mirror/site',
      excludes: [],
      changes: { stamp: '/backup/site/metadata/mirror.stamp' },
      guard: { maxShrinkPercent: 50, what: 'the mirror of "site"' },
    } as const;
    const commands = buildCommands({ ...base, kind: 'sync-dir', ...mirror });
    const env = {
      RCLONE_WEBDAV_URL: { literal: 'https://dav.example.net' },
      RCLONE_WEBDAV_PASS: { secret: 'POLYARCHIV_SECRET_OFFSITE_SITE_PASSWORD', obscuredBy: 'rclone' },
    };
    const [check, ...rest] = commands;
    expect(check).toMatchObject({
      kind: 'check-copy',
      previous: ['rclone', 'size', '--json', '--', ':webdav:/mirror/site'],
      maxShrinkPercent: 50,
      allowShrink: false,
      what: 'the mirror of "site"',
      env,
    });
    // Nothing that reaches the server runs before the judgement: the first rclone after it is the
    // upload of the changed files, then the sync, then the stamp's move.
    const rclones = rest.flatMap((c) =>
      c.kind === 'exec' ? [[c.argv[0], ...(c.pipeline ?? []).map((p) => p[0])].join(' | ')] : [c.kind],
    );
    expect(rclones.slice(-3)).toEqual(['find | rclone', 'rclone', 'mv']);
    const sync = rest.at(-2);
    expect(sync).toMatchObject({ kind: 'exec', env, explains: login });
    expect(sync?.kind === 'exec' ? sync.argv.slice(0, 2) : []).toEqual(['rclone', 'sync']);
    expect(rest.filter((c) => c.kind === 'copy' || c.kind === 'check-copy')).toEqual([]);
  });
});
