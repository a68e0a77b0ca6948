import { describe, expect, it } from 'vitest';
import { loadConfigDir } from '../../src/config/load.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { diagnose, PINNED_HOST, PINNED_NOW } from '../helpers/diagnose.js';
import { makeSandbox } from '../helpers/sandbox.js';
import { CP, mirror } from './malformed-cases.js';

/** The file each pair mirrors its state to, by `backup point/collect point`. */
function mirrors(files: Record<string, string>): Record<string, string | undefined> {
  const box = makeSandbox('polyarchiv-metadata-config-');
  try {
    box.write(Object.fromEntries(Object.entries(files).map(([name, text]) => [`config/${name}`, text])));
    const diagnostics = new Diagnostics();
    const input = loadConfigDir(box.path('config'), diagnostics);
    const config = resolveConfig(input, { now: PINNED_NOW, host: PINNED_HOST, pinned: {} }, diagnostics);
    expect(diagnostics.errors).toEqual([]);
    return Object.fromEntries(config.pairs.map((p) => [`${p.name}/${p.collectPoint}`, p.metadata?.shown]));
  } finally {
    box.remove();
  }
}

describe('metadata_url', () => {
  it("takes the original's sample form, a trailing / (the collect point's name appended) and ssh", () => {
    expect(
      mirrors({
        'site.collect': CP,
        'notes.collect': '[point]\nengine=files\nlocal_path=/srv/notes\n',
        'a.backup':
          '[point]\nengine=synchronize\nremote_url=/b/{name}\nmetadata_url=file:///var/meta/{name}.json\n',
        'b.backup': '[point]\nengine=synchronize\nremote_url=/c/{name}\nmetadata_url=/var/meta/b/\n',
        'c.backup':
          '[point]\nengine=synchronize\nremote_url=/d/{name}\nmetadata_url=ssh://backup@store.example.org:2222/srv/meta/{name}.json\nmetadata_ssh_options=-o "UserKnownHostsFile /k h"\n',
      }),
    ).toEqual({
      'a/notes': '/var/meta/notes.json',
      'a/site': '/var/meta/site.json',
      'b/notes': '/var/meta/b/notes.json',
      'b/site': '/var/meta/b/site.json',
      'c/notes': 'store.example.org:/srv/meta/notes.json',
      'c/site': 'store.example.org:/srv/meta/site.json',
    });
  });

  it('renders time and host variables with fixed values: the URL must not change with them', () => {
    expect(
      mirrors(
        mirror(
          'remote_url=/b/{name}\nmetadata_url=/meta/{hostname}-{username}/{Y}-{m}-{d}-{H}/{name}.json\n',
        ),
      ),
    ).toEqual({ 'mirror/site': '/meta/localhost-polyarchiv/2016-01-01-00/site.json' });
  });

  it('refuses two pairs mirrored to one file, at the second one', () => {
    expect(
      diagnose({
        ...mirror('remote_url=/b/{name}\nmetadata_url=/meta/state.json\n'),
        'other.collect': '[point]\nengine=files\nlocal_path=/srv/other\n',
      }),
    ).toEqual([
      'error: metadata_url of backup point mirror for collect point site is /meta/state.json, already the state file of backup point mirror for collect point other (each pair needs its own file: put {name} (the collect point) in the URL, or end it with /)\n  at mirror.backup:4 [point]',
    ]);
  });

  it('refuses a scheme it cannot reach and a malformed URL, at their lines, without a password', () => {
    expect(
      diagnose(mirror('remote_url=/b/{name}\nmetadata_url=https://carol:secret-pw@host/meta/\n')),
    ).toEqual([
      "error: metadata_url 'https://carol:***@host/meta/': https:// is not available in this version (use /path, file:///path, ssh://[user@]host[:port]/path or user@host:/path)\n  at mirror.backup:4 [point]",
    ]);
    expect(diagnose(mirror('remote_url=/b/{name}\nmetadata_url=ssh://carol:secret-pw@host/meta/\n'))).toEqual(
      [
        'warning: the password in metadata_url is ignored (ssh logs in with metadata_private_key (or an agent))\n  at mirror.backup:4 [point]',
      ],
    );
    expect(diagnose(mirror('remote_url=/b/{name}\nmetadata_url=file://host/meta\n'))).toEqual([
      "error: bad value for option 'metadata_url': 'file://host/meta' (expected file:///absolute/path (three slashes: no host part))\n  at mirror.backup:4 [point]",
    ]);
  });

  it('says that ca_cert and keytab do nothing, and that ssh options do nothing for a local path', () => {
    expect(
      diagnose(
        mirror(
          'remote_url=/b/{name}\nmetadata_url=/meta/{name}.json\nmetadata_ca_cert=any\nmetadata_keytab=/etc/k.keytab\nmetadata_ssh_options=-p 2\n',
        ),
      ),
    ).toEqual([
      "warning: option 'metadata_ca_cert' has no effect: it applies to https:// metadata_url, which is not available in this version\n  at mirror.backup:5 [point]",
      "warning: option 'metadata_keytab' has no effect: Kerberos authentication of metadata_url is not available in this version\n  at mirror.backup:6 [point]",
      "warning: option 'metadata_ssh_options' has no effect: metadata_url is a local path\n  at mirror.backup:7 [point]",
    ]);
  });
});
