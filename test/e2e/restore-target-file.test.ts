import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash');

/**
 * A restore whose `source_path` is now a file: it says so at the source's line before any source
 * of the collect point changes, rather than with rsync's "cannot stat destination".
 */
describe.runIf(canRun)('a restore into a source_path that is a file', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-target-file-');
    box.write({
      'config/site.collect': [
        '[point]',
        'engine = files',
        'local_path = {root}/collect/{name}',
        '',
        '[source "www"]',
        'engine = local_files',
        'source_path = {root}/www',
        'destination_path = www',
        '',
        '[source "docs"]',
        'engine = local_files',
        'source_path = {root}/docs',
        'destination_path = docs',
        '',
      ].join('\n'),
      'config/bp.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
      'www/index.html': 'index\n',
      'docs/guide.txt': 'guide\n',
    });
  });
  afterEach(() => box.remove());

  for (const how of ['apply', 'script'] as const) {
    it(`refuses it before any source changes (${how})`, () => {
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      expect(runAs(box, how, 'backup', args).code).toBe(0);
      writeFileSync(box.path('www/index.html'), 'INDEX\n');
      rmSync(box.path('docs'), { recursive: true });
      writeFileSync(box.path('docs'), 'a file where the directory was\n');
      const www = fileContents(box.path('www'));
      const restore = runAs(box, how, 'restore', args);
      expect(restore.code).toBe(1);
      expect(restore.stderr).toContain(
        `source "docs": ${box.path('docs')} is not a directory: the restore puts one there; move what is there away first\n`,
      );
      expect(restore.stderr).toMatch(
        /failed with exit code 1: step \d+ of \d+ at site\.collect:10 \[source "docs"\]/,
      );
      expect(restore.stderr).not.toContain('cannot stat destination');
      // Neither source changed: the one before it was not restored either.
      expect(fileContents(box.path('www'))).toEqual(www);
      expect(readFileSync(box.path('docs'), 'utf8')).toBe('a file where the directory was\n');
      // Moved away, the restore goes on.
      rmSync(box.path('docs'));
      const again = runAs(box, how, 'restore', args);
      expect(again.code, again.stderr).toBe(0);
      expect(readFileSync(box.path('docs/guide.txt'), 'utf8')).toBe('guide\n');
      expect(readFileSync(box.path('www/index.html'), 'utf8')).toBe('index\n');
    });
  }
});
