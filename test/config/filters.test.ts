import { describe, expect, it } from 'vitest';
import { errorsOf } from '../helpers/diagnose.js';
import { CP, mirror, SITE } from './malformed-cases.js';

/** Refused filter sections: each error names the file, the line and what is expected. */
describe('filter sections', () => {
  it('refuses an index name that is not a file name at the root', () => {
    expect(errorsOf({ 'site.collect': `${CP}[filter "h"]\nengine=hashes\nfilename=sub/sums\n` })).toEqual([
      'error: filename \'sub/sums\' is not a file name (expected a name without slash for the index at the root of the tree, e.g. hashes.txt)\n  at site.collect:6 [filter "h"]',
    ]);
  });

  it('refuses an unknown checksum method', () => {
    expect(errorsOf({ 'site.collect': `${CP}[filter "h"]\nengine=hashes\nmethod=crc32\n` })).toEqual([
      "error: bad value for option 'method': 'crc32' (expected one of sha1, md5, sha256, sha512)\n  at site.collect:6 [filter \"h\"]",
    ]);
  });

  it('suggests the method a slip of the keyboard hides', () => {
    expect(errorsOf({ 'site.collect': `${CP}[filter "h"]\nengine=hashes\nmethod=SHA265\n` })).toEqual([
      "error: bad value for option 'method': 'SHA265' (did you mean 'sha256'? expected one of sha1, md5, sha256, sha512)\n  at site.collect:6 [filter \"h\"]",
    ]);
  });

  it('refuses a filter name that cannot name a directory', () => {
    expect(errorsOf({ 'site.collect': `${CP}[filter "a/b"]\nengine=hashes\n` })).toEqual([
      'error: filter name \'a/b\' cannot name a directory (expected a name without slash or control characters, e.g. [filter "encrypt"])\n  at site.collect:4 [filter "a/b"]',
    ]);
  });

  it("refuses a backup point's index that would replace its collect point's in what it ships", () => {
    const files = {
      'site.collect': `${CP}[filter "sums"]\nengine=hashes\nmethod=sha256\n`,
      'mirror.backup': '[point]\nengine=synchronize\nremote_url=/b/{name}\n[filter "index"]\nengine=hashes\n',
    };
    expect(errorsOf(files)).toEqual([
      'error: filter "index" writes hashes.txt, which filter "sums" (site.collect:4 [filter "sums"]) writes at the root of the same tree (give each index its own filename)\n  at mirror.backup:4 [filter "index"]',
    ]);
  });
  it("refuses a backup point's index named as its collect point's link index", () => {
    const files = {
      'site.collect': `${CP}[filter "sums"]\nengine=hashes\n`,
      'mirror.backup':
        '[point]\nengine=synchronize\nremote_url=/b/{name}\n[filter "index"]\nengine=hashes\nfilename=hashes.txt.links\n',
    };
    expect(errorsOf(files)).toEqual([
      'error: filter "index" writes hashes.txt.links, which filter "sums" (site.collect:4 [filter "sums"]) writes at the root of the same tree (give each index its own filename)\n  at mirror.backup:6 [filter "index"]',
    ]);
  });

  it('refuses a filter on a git backup point', () => {
    const files = {
      ...SITE,
      'repo.backup': '[point]\nengine=git\nremote_url=/srv/repo.git\n[filter "h"]\nengine=hashes\n',
    };
    expect(errorsOf(files)).toContainEqual(
      'error: the git backup point takes no filter: it pushes the collect point\'s git history, not its files (put the filter on the collect point, or use a synchronize, archive, rolling_archive or restic backup point)\n  at repo.backup:4 [filter "h"]',
    );
  });

  it("refuses a mistake in a backup point's filter once, at its line", () => {
    expect(errorsOf(mirror('remote_url=/b/{name}\n[filter "h"]\nengine=hashes\nmethod=crc\n'))).toEqual([
      "error: bad value for option 'method' (for collect point 'site'): 'crc' (expected one of sha1, md5, sha256, sha512)\n  at mirror.backup:6 [filter \"h\"]",
    ]);
  });
});
