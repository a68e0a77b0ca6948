import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { type FtpServer, haveFtp, startFtp } from '../servers/ftp.js';
import { haveWebdav, startWebdav, type WebdavServer } from '../servers/webdav.js';

const tools = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'tar', 'gzip', 'rclone');

const SITE =
  '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "www"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = www\n';
const ONLY_LAST_2 = [
  'keep_last = 2',
  'hourly_count = 0',
  'daily_count = 0',
  'weekly_count = 0',
  'monthly_count = 0',
  'yearly_count = 0',
];

const at = (day: string) => `2026-12-${day}T22:26:56+01:00`;
const nameOf = (day: string) => `site-202612${day}-222656.tar.gz`;
const stateOf = (box: Sandbox, point: string): { data: Record<string, string>[] } =>
  JSON.parse(readFileSync(box.path(`collect/site/metadata/remote-${point}/remote/${point}.json`), 'utf8'));
const namesIn = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => !name.startsWith('.'))
        .sort()
    : [];

function configure(box: Sandbox, files: Record<string, readonly string[]>): string[] {
  box.write({
    'config/site.collect': SITE,
    'data/index.html': '<p>site</p>\n',
    ...Object.fromEntries(
      Object.entries(files).map(([name, lines]) => [
        `config/${name}.backup`,
        ['[point]', 'engine = rolling_archive', ...lines, ''].join('\n'),
      ]),
    ),
  });
  return ['-C', box.path('config'), '--set', `root=${box.root}`];
}

function backup(box: Sandbox, how: 'apply' | 'script', args: readonly string[], day: string) {
  const run = runAs(box, how, 'backup', [...args, '--now', at(day)]);
  expect(run.code, run.stderr).toBe(0);
  return run;
}

describe.runIf(tools && haveWebdav() && haveFtp())(
  'rolling_archive whose remote_url moves from a WebDAV server to an FTP server',
  { timeout: 300_000 },
  () => {
    let dav: WebdavServer;
    let ftp: FtpServer;
    let box: Sandbox;
    beforeAll(async () => {
      [dav, ftp] = await Promise.all([startWebdav(), startFtp()]);
    });
    afterAll(async () => {
      await Promise.all([dav?.destroy(), ftp?.destroy()]);
    });
    beforeEach(() => {
      box = makeSandbox('polyarchiv-roll-targets-');
    });
    afterEach(() => box.remove());

    const remote = (base: string, sub: string, tag = '') =>
      `remote_url = ${base}/${sub}/{name}-${tag}{Y}{m}{d}-{H}{M}{S}.tar.gz`;

    for (const how of ['apply', 'script'] as const) {
      it(`never deletes on the new server the archive of another point at the same path (${how})`, () => {
        // Each test its own directories on the two servers.
        const sub = `roll-${how}`;
        const args = configure(box, {
          davroll: [remote(dav.baseUrl, sub)],
          ftproll: [remote(ftp.baseUrl, sub)],
        });
        backup(box, how, args, '04');
        const onDav = () => namesIn(`${dav.root}/${sub}`);
        const onFtp = () => namesIn(`${ftp.root}/${sub}`);
        expect(onDav()).toEqual([nameOf('04')]);
        expect(onFtp()).toEqual([nameOf('04')]);

        // davroll now writes on the FTP server, in the same directory (its own names), keeping its
        // two newest archives: the path it recorded on the WebDAV server is ftproll's archive there.
        configure(box, {
          davroll: [remote(ftp.baseUrl, sub, 'moved-'), ...ONLY_LAST_2],
          ftproll: [remote(ftp.baseUrl, sub)],
        });
        backup(box, how, args, '05');
        const text = runCli(['plan', '--format', 'text', ...args, '--now', at('06')]);
        expect(text.code, text.stderr).toBe(0);
        const davTarget = `http://${dav.user}@127.0.0.1:${dav.port}/${sub}`;
        const ftpTarget = `ftp://${ftp.user}@127.0.0.1:${ftp.port}/${sub}`;
        expect(text.stdout).toContain(
          `leave /${sub}/${nameOf('04')}: recorded at ${davTarget}, not at ${ftpTarget}: never deleted from here`,
        );
        expect(text.stdout).not.toMatch(/delete \//);
        const warning = `backup point davroll of site: 1 archive recorded at ${davTarget} is left where it was written: retention deletes only archives recorded at ${ftpTarget}, which remote_url names; delete it there by hand if unwanted (the state keeps listing it)`;
        expect(text.stderr).toContain(`davroll.backup:3`);
        expect(text.stderr).toContain(warning);
        const script = runCli(['plan', ...args, '--now', at('06')]);
        expect(script.stdout).toContain(`# leave /${sub}/${nameOf('04')}: recorded at ${davTarget}`);
        expect(script.stdout).not.toContain(`/${sub}/${nameOf('04')}'\n`);

        const third = backup(box, how, args, '06');
        if (how === 'apply') expect(third.stderr).toContain(warning);
        // ftproll's archive of the 4th is still on the FTP server, davroll's on the WebDAV server.
        const moved = (day: string) => nameOf(day).replace('site-', 'site-moved-');
        const ftproll = [nameOf('04'), nameOf('05'), nameOf('06')];
        expect(onFtp()).toEqual([...ftproll, moved('05'), moved('06')].sort());
        expect(onDav()).toEqual([nameOf('04')]);
        // davroll still lists its archive on the WebDAV server, with its target, and no password.
        const recorded = stateOf(box, 'davroll').data.map((e) => [e.target, e.archive]);
        expect(recorded).toEqual([
          [davTarget, `/${sub}/${nameOf('04')}`],
          [ftpTarget, `/${sub}/${moved('05')}`],
          [ftpTarget, `/${sub}/${moved('06')}`],
        ]);
        expect(JSON.stringify(stateOf(box, 'davroll'))).not.toContain(dav.password);
        expect(JSON.stringify(stateOf(box, 'davroll'))).not.toContain(ftp.password);
        // Retention goes on at the FTP server among davroll's own archives there.
        backup(box, how, args, '07');
        expect(onFtp()).toEqual([...ftproll, nameOf('07'), moved('06'), moved('07')].sort());
      });
    }
  },
);

describe.runIf(haveTools('rsync', 'flock', 'bash', 'sha256sum', 'tar', 'gzip'))(
  'rolling_archive whose remote_url moves to another local directory',
  { timeout: 300_000 },
  () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-roll-moved-');
    });
    afterEach(() => box.remove());
    const remote = (dir: string) => `remote_url = file://{root}/${dir}/{name}-{Y}{m}{d}-{H}{M}{S}.tar.gz`;

    for (const how of ['apply', 'script'] as const) {
      it(`leaves the archives of the old directory there, listed, and restores from the new one (${how})`, () => {
        const args = configure(box, { roll: [remote('old'), ...ONLY_LAST_2] });
        for (const day of ['01', '02']) backup(box, how, args, day);
        expect(namesIn(box.path('old'))).toEqual([nameOf('01'), nameOf('02')]);

        configure(box, { roll: [remote('new'), ...ONLY_LAST_2] });
        for (const day of ['03', '04', '05']) backup(box, how, args, day);
        expect(namesIn(box.path('old'))).toEqual([nameOf('01'), nameOf('02')]);
        expect(namesIn(box.path('new'))).toEqual([nameOf('04'), nameOf('05')]);
        expect(stateOf(box, 'roll').data.map((e) => e.target)).toEqual([
          `file://${box.path('old')}`,
          `file://${box.path('old')}`,
          `file://${box.path('new')}`,
          `file://${box.path('new')}`,
        ]);

        // An entry of an earlier version (no target): below the new directory it is the series';
        // elsewhere it is left.
        const state = stateOf(box, 'roll');
        const { target: _, ...untargeted } = state.data[3] as Record<string, string>;
        const stray = { ...untargeted, archive: box.path('elsewhere', nameOf('01')) };
        box.write({
          'collect/site/metadata/remote-roll/remote/roll.json': JSON.stringify({
            ...state,
            data: [stray, ...state.data.slice(0, 3), untargeted],
          }),
          [`elsewhere/${nameOf('01')}`]: 'not this series\n',
        });
        const text = runCli(['plan', '--format', 'text', ...args, '--now', at('06')]);
        expect(text.stdout).toContain(`delete ${box.path('new', nameOf('04'))}`);
        expect(text.stdout).toContain(
          `leave ${box.path('elsewhere', nameOf('01'))}: recorded without its target`,
        );
        expect(text.stderr).toContain('1 archive recorded without its target and 2 archives recorded at');
        backup(box, how, args, '06');
        expect(namesIn(box.path('new'))).toEqual([nameOf('05'), nameOf('06')]);
        expect(namesIn(box.path('elsewhere'))).toEqual([nameOf('01')]);
        expect(namesIn(box.path('old'))).toEqual([nameOf('01'), nameOf('02')]);

        // --at the 2nd: recorded only in the old directory, which the restore does not read.
        const older = runAs(box, how, 'restore', [...args, '--at', at('02')]);
        expect(older.code).toBe(1);
        const latest = runAs(box, how, 'restore', args);
        expect(latest.code, latest.stderr).toBe(0);
        expect(`${latest.stdout}${latest.stderr}`).toContain(box.path('new', nameOf('06')));
      });
    }
  },
);
