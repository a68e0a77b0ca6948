import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { ODD_FILES, writeTree } from './odd-files.js';
import { makeSandbox, type Sandbox } from './sandbox.js';
import { filesHolding } from './secret-scan.js';
import type { ServiceServer } from './service-server.js';
import { comparableStates, configureOffsite, partials, runAs } from './service-targets.js';
import { fileContents, maskTimestamps } from './tree.js';

/** A backup point's lines for the server as metadata_url's: `remote_url` and its options renamed. */
export const asMetadataLines = (lines: readonly string[]): string[] =>
  lines.map((line) => `metadata_${line.replace(/^remote_url\b/, 'url')}`);

const stateOf = (box: Sandbox) => box.path('collect/site/metadata/remote-offsite/remote/offsite.json');

const MIRROR_UNREADABLE =
  /the state of backup point offsite for site mirrored at metadata_url cannot be used: cannot read /;

/**
 * metadata_url on a server reached through rclone: state files mirrored there after each run, read
 * back on a rebuilt machine, a file never written there told from a server out of reach.
 */
export function metadataUrlTests(service: () => ServiceServer, prefix: string): void {
  describe('metadata_url on the server', () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox(`polyarchiv-${prefix}-metadata-`);
      writeTree(box.path('data'), ODD_FILES);
    });
    afterEach(() => {
      box.remove();
      service().clear();
    });

    /** `offsite`: dated archives on this host, its states mirrored to the server (`secret`: another password). */
    const configure = (secret?: string) =>
      configureOffsite(box, [
        'engine = rolling_archive',
        'remote_url = {root}/store/{name}-{Y}{m}{d}.tar.gz',
        ...asMetadataLines(service().plainLines('meta/', secret)),
      ]);
    const backup = (how: 'apply' | 'script', args: readonly string[], day: string) =>
      runAs(box, how, 'backup', [...args, '--now', `2026-03-${day}T03:00:00+01:00`]);
    /** The machine is rebuilt: its collect points, their state files and the data are gone. */
    const rebuild = () => {
      rmSync(box.path('collect'), { recursive: true, force: true });
      rmSync(box.path('data'), { recursive: true, force: true });
    };

    for (const how of ['apply', 'script'] as const)
      it(`mirrors the state file there and gives a rebuilt machine its newest archive back (${how})`, () => {
        const args = configure();
        for (const day of ['01', '02']) {
          const ran = backup(how, args, day);
          expect(ran.code, ran.stderr).toBe(0);
          // Never mirrored before the first run: absent, not an error.
          expect(ran.stderr).not.toMatch(/metadata_url cannot be used/);
          expect(service().read('meta/site.json')).toEqual(readFileSync(stateOf(box)));
          expect(partials(service().list())).toEqual([]);
        }
        const expected = fileContents(box.path('data'));
        writeFileSync(box.path('data/plain.txt'), 'changed after the backups\n');
        rebuild();
        // Nothing here says which dated archive is the newest: the mirror does.
        const restore = runAs(box, how, 'restore', args);
        expect(restore.code, restore.stderr).toBe(0);
        expect(fileContents(box.path('data'))).toEqual(expected);
        expect(existsSync(stateOf(box))).toBe(false);
        // The next backup continues the mirrored state.
        const next = backup(how, args, '03');
        expect(next.code, next.stderr).toBe(0);
        expect(JSON.parse(readFileSync(stateOf(box), 'utf8')).success_count).toBe(3);
        expect(service().read('meta/site.json')).toEqual(readFileSync(stateOf(box)));
      }, 180_000);

    it('mirrors the same state with apply and with the rendered script', () => {
      const twin = makeSandbox(`polyarchiv-${prefix}-metadata-twin-`);
      try {
        writeTree(twin.path('data'), ODD_FILES);
        // Each sandbox mirrors below its own root on the server.
        const lines = asMetadataLines(service().plainLines('{root}/meta/'));
        const args = configureOffsite(box, [
          'engine = synchronize',
          'remote_url = {root}/store/{name}',
          ...lines,
        ]);
        const now = ['--now', '2026-03-01T03:00:00+01:00'];
        const applied = runAs(box, 'apply', 'backup', [...args, ...now]);
        expect(applied.code, applied.stderr).toBe(0);
        const twinArgs = ['-C', box.path('config'), '--set', `root=${twin.root}`, ...now];
        const ran = runAs(twin, 'script', 'backup', twinArgs);
        expect(ran.code, ran.stderr).toBe(0);
        const mirrored = (sandbox: Sandbox) =>
          maskTimestamps(service().read(`${sandbox.root}/meta/site.json`).toString('utf8')).replaceAll(
            sandbox.root,
            '<root>',
          );
        expect(mirrored(twin)).toEqual(mirrored(box));
        expect(JSON.parse(mirrored(box)).success_count).toBe(1);
        expect(comparableStates(twin)).toEqual(comparableStates(box));
      } finally {
        twin.remove();
      }
    }, 120_000);

    it('a mirror never written is a point never run: restore finds nothing to restore, without a warning', () => {
      const args = configure();
      const restore = runCli(['restore', '--yes', ...args]);
      expect(restore.code).toBe(1);
      expect(restore.stderr).toContain(
        'no state file records a successful backup of site on any of its backup points',
      );
      expect(restore.stderr).not.toMatch(/metadata_url/);
      expect(restore.stderr).not.toMatch(/warning/);
      expect(service().exists('meta/site.json')).toBe(false);
    }, 60_000);

    it('a server out of reach or refusing the password is said at the point, and loses nothing', async () => {
      const args = configure();
      expect(backup('apply', args, '01').code).toBe(0);
      const good = service().read('meta/site.json');
      const expected = fileContents(box.path('data'));
      // The upload fails: the run fails at the point's line, the mirrored copy stays whole.
      await service().stop();
      try {
        const down = backup('apply', args, '02');
        expect(down.code).toBe(1);
        expect(down.stderr).toMatch(/metadata:offsite\/site/);
        expect(down.stderr).toMatch(/offsite\.backup:4 \[point\]/);
        expect(JSON.parse(readFileSync(stateOf(box), 'utf8')).success_count).toBe(2);
      } finally {
        await service().start();
      }
      expect(service().read('meta/site.json')).toEqual(good);
      rebuild();
      writeTree(box.path('data'), ODD_FILES);
      if (service().refused !== undefined) {
        configure('wrong');
        const refused = runCli(['backup', ...args, '--now', '2026-03-02T03:00:00+01:00']);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(MIRROR_UNREADABLE);
        // The refused login names the option to fix, not the tool's words alone.
        expect(refused.stderr).toMatch(/the server (refused|knows no) [^\n]*option 'metadata_/);
        expect(refused.stderr).toMatch(/offsite\.backup:4 \[point\]/);
        // The copy that could not be read is not replaced by that run.
        expect(refused.stderr).toMatch(/the copy at metadata_url could not be read/);
        expect(service().read('meta/site.json')).toEqual(good);
        rmSync(box.path('collect'), { recursive: true, force: true });
        configure();
      }
      await service().stop();
      try {
        const down = runCli(['plan', '--restore', ...args]);
        expect(down.stderr).toMatch(MIRROR_UNREADABLE);
        expect(down.stderr).toMatch(/connection refused/i);
        expect(down.stderr).toMatch(/offsite\.backup:4 \[point\]/);
      } finally {
        await service().start();
      }
      expect(service().read('meta/site.json')).toEqual(good);
      rebuild();
      const restore = runCli(['restore', '--yes', ...args]);
      expect(restore.code, restore.stderr).toBe(0);
      expect(restore.stderr).not.toMatch(/metadata_url cannot be used/);
      expect(fileContents(box.path('data'))).toEqual(expected);
    }, 180_000);

    it('keeps the password out of the plan, the script, the output, config --show and the states', () => {
      const args = configure();
      const secret = service().password;
      const texts = [
        runCli(['plan', '--format', 'text', ...args]),
        runCli(['plan', '--format', 'json', ...args]),
        runCli(['plan', ...args]),
        runCli(['config', '--show', ...args]),
        backup('apply', args, '01'),
      ];
      for (const text of texts) {
        expect(text.code, text.stderr).toBe(0);
        for (const form of [secret, encodeURIComponent(secret)]) {
          expect(text.stdout).not.toContain(form);
          expect(text.stderr).not.toContain(form);
        }
      }
      expect(filesHolding(box.path('collect'), secret)).toEqual([]);
      expect(service().read('meta/site.json').includes(secret)).toBe(false);
    }, 120_000);
  });
}
