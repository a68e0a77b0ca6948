import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './cli.js';
import { asMetadataLines } from './metadata-url-suite.js';
import { ODD_FILES, SERVED_FILES, writeTree } from './odd-files.js';
import { makeSandbox, type Sandbox } from './sandbox.js';
import type { ServiceServer } from './service-server.js';
import { configureOffsite, remoteFilesSite, runAs } from './service-targets.js';

/** The option among `lines` that holds `secret`, and its line once `before` lines come first. */
function secretPlace(
  lines: readonly string[],
  secret: string,
  before: number,
  file: string,
  section: string,
) {
  const index = lines.findIndex((line) => line.endsWith(` = ${secret}`));
  expect(index).toBeGreaterThanOrEqual(0);
  const name = lines[index]?.split(' = ')[0];
  return `option '${name}' (${file}:${before + index + 1} ${section})`;
}

/**
 * A login that the server refuses (a wrong password, a wrong secret key) is said naming the line of
 * the option to fix, by every engine and step that reaches the server, through both backends; the
 * secret itself is never shown.
 */
export function serviceLoginTests(service: () => ServiceServer, prefix: string): void {
  describe('a login the server refuses', () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox(`polyarchiv-${prefix}-login-`);
      writeTree(box.path('data'), ODD_FILES);
    });
    afterEach(() => {
      box.remove();
      service().clear();
    });
    const WRONG = 'not-the-secret';

    /** The run fails, naming `place`, and never shows the wrong secret. */
    const refusedAt = (run: { code: number; stderr: string; stdout: string }, place: string) => {
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain(place);
      expect(run.stderr).toMatch(/refused|knows no/);
      expect(`${run.stdout}${run.stderr}`).not.toContain(WRONG);
    };

    for (const how of ['apply', 'script'] as const) {
      it(`archive, rolling_archive, synchronize and metadata_url name the option of the refused secret (${how})`, () => {
        const wrong = service().plainLines('{name}.tar.gz', WRONG);
        const place = secretPlace(wrong, WRONG, 2, 'offsite.backup', '[point]');
        for (const engine of ['archive', 'rolling_archive'] as const) {
          const path = engine === 'archive' ? '{name}.tar.gz' : '{name}-{Y}{m}{d}.tar.gz';
          const args = configureOffsite(box, [`engine = ${engine}`, ...service().plainLines(path, WRONG)]);
          refusedAt(runAs(box, how, 'backup', args), place);
        }
        const mirror = configureOffsite(box, [
          'engine = synchronize',
          ...service().plainLines('{name}', WRONG),
        ]);
        refusedAt(runAs(box, how, 'backup', mirror), place);

        const metadata = asMetadataLines(service().plainLines('meta/', WRONG));
        const states = configureOffsite(box, [
          'engine = archive',
          'remote_url = {root}/store/{name}.tar.gz',
          ...metadata,
        ]);
        refusedAt(
          runAs(box, how, 'backup', states),
          secretPlace(metadata, WRONG, 3, 'offsite.backup', '[point]'),
        );

        // A password written in the URL: the URL's line.
        const url = service().url('{name}.tar.gz');
        const held = `:${encodeURIComponent(service().password)}@`;
        if (!url.includes(held)) return;
        const inUrl = configureOffsite(box, [
          'engine = archive',
          `remote_url = ${url.replace(held, `:${WRONG}@`)}`,
          ...service().lines,
        ]);
        refusedAt(
          runAs(box, how, 'backup', inUrl),
          "the user and password of option 'remote_url' (offsite.backup:3 [point], made of {name})",
        );
      }, 240_000);

      it(`a mirror with nothing to send names the option at its sync, the first to reach the server (${how})`, () => {
        const good = configureOffsite(box, ['engine = synchronize', ...service().plainLines('{name}')]);
        expect(runAs(box, how, 'backup', good).code).toBe(0);
        // Files older than the mirror's stamp (moved two seconds back) are not sent again first.
        spawnSync('sleep', ['3']);
        const again = runAs(box, how, 'backup', good);
        expect(again.code, again.stderr).toBe(0);
        const wrong = service().plainLines('{name}', WRONG);
        const run = runAs(box, how, 'backup', configureOffsite(box, ['engine = synchronize', ...wrong]));
        refusedAt(run, secretPlace(wrong, WRONG, 2, 'offsite.backup', '[point]'));
      }, 120_000);

      it(`a restore and its check name the option of the refused secret (${how})`, () => {
        for (const [engine, path] of [
          ['archive', '{name}.tar.gz'],
          ['synchronize', '{name}'],
          ['rolling_archive', '{name}-{Y}{m}{d}.tar.gz'],
        ] as const) {
          const good = configureOffsite(box, [`engine = ${engine}`, ...service().plainLines(path)]);
          const backup = runAs(box, how, 'backup', good);
          expect(backup.code, backup.stderr).toBe(0);
          // A rebuilt machine: the dated series is listed there to find its newest archive.
          if (engine === 'rolling_archive') rmSync(box.path('collect'), { recursive: true, force: true });
          const wrong = service().plainLines(path, WRONG);
          const args = configureOffsite(box, [`engine = ${engine}`, ...wrong]);
          refusedAt(
            runAs(box, how, 'restore', args),
            secretPlace(wrong, WRONG, 2, 'offsite.backup', '[point]'),
          );
          service().clear();
        }
      }, 240_000);
    }
  });
}

/** remote_files reading the server with a refused secret: the source's option is named. */
export function remoteFilesLoginTests(service: () => ServiceServer, prefix: string): void {
  describe('a remote_files source whose login the server refuses', () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox(`polyarchiv-${prefix}-source-login-`);
      writeTree(service().stored('origin'), SERVED_FILES);
    });
    afterEach(() => {
      box.remove();
      service().clear();
    });

    for (const how of ['apply', 'script'] as const)
      it(`names the source's option of the refused secret (${how})`, () => {
        const lines = service()
          .plainLines('origin', 'not-the-secret')
          .map((line) => line.replace(/^remote_url\b/, 'source_url'));
        box.write({ 'config/site.collect': remoteFilesSite(lines) });
        const run = runAs(box, how, 'backup', ['-C', box.path('config'), '--set', `root=${box.root}`]);
        expect(run.code, run.stderr).toBe(1);
        // site.collect: [point], engine, local_path, blank, [source "web"], engine, then `lines`.
        expect(run.stderr).toContain(
          secretPlace(lines, 'not-the-secret', 6, 'site.collect', '[source "web"]'),
        );
        expect(`${run.stdout}${run.stderr}`).not.toContain('not-the-secret');
      }, 120_000);

    /**
     * A backup made with the right secret (through `backup`), then the secret made wrong: what a
     * restore then meets. The origin's tree as the backup left it.
     */
    const backedUpThenRefused = (backup: (args: string[]) => CliResult) => {
      const good = service()
        .plainLines('origin', service().password)
        .map((line) => line.replace(/^remote_url\b/, 'source_url'));
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      box.write({
        'config/site.collect': remoteFilesSite(good),
        'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
      });
      const run = backup(args);
      expect(run.code, run.stderr).toBe(0);
      const lines = good.map((line) => line.replace(` = ${service().password}`, ' = not-the-secret'));
      box.write({ 'config/site.collect': remoteFilesSite(lines) });
      return { args, lines, before: service().tree('origin') };
    };

    for (const how of ['apply', 'script'] as const)
      it(`a restore's question names the source's option of the refused secret, changing nothing (${how})`, () => {
        const { args, lines, before } = backedUpThenRefused((args) => runAs(box, how, 'backup', args));
        // The dry run that lists the changes before the question is the first to reach the server.
        const run = runAs(box, how, 'restore', args);
        expect(run.code, run.stderr).toBe(1);
        expect(run.stderr).toContain(
          secretPlace(lines, 'not-the-secret', 6, 'site.collect', '[source "web"]'),
        );
        expect(`${run.stdout}${run.stderr}`).not.toContain('not-the-secret');
        expect(service().tree('origin')).toEqual(before);
      }, 120_000);

    // The script has no dry run: `apply --dry` alone lists a restore's changes without making them.
    it("a dry restore's listing names the source's option of the refused secret, changing nothing", () => {
      const { args, lines, before } = backedUpThenRefused((args) => runCli(['backup', ...args]));
      const dry = runCli(['restore', '--dry', ...args]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stderr).toContain("against the collect point's copy as it is now");
      // Said as a line of its own, not only within the shown command that carries it.
      const said = dry.stderr.split('\n').filter((line) => /^polyarchiv: +the server refused/.test(line));
      expect(said.join('\n')).toContain(
        secretPlace(lines, 'not-the-secret', 6, 'site.collect', '[source "web"]'),
      );
      expect(`${dry.stdout}${dry.stderr}`).not.toContain('not-the-secret');
      expect(service().tree('origin')).toEqual(before);
    }, 120_000);
  });
}
