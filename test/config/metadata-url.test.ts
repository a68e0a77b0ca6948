import { describe, expect, it } from 'vitest';
import { loadConfigDir } from '../../src/config/load.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { secretValues } from '../../src/engines/secrets.js';
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

  it('takes WebDAV, FTP and S3 URLs with their metadata_-prefixed options, and names their secrets', () => {
    expect(
      mirrors({
        'site.collect': CP,
        'a.backup':
          '[point]\nengine=synchronize\nremote_url=/b/{name}\nmetadata_url=https://carol:p%40ss@dav.example.org:8443/meta/\nmetadata_ca_cert=any\n',
        'b.backup':
          '[point]\nengine=synchronize\nremote_url=/c/{name}\nmetadata_url=ftps://carol@ftp.example.org/meta/{name}.json\nmetadata_password=pw\n',
        'c.backup':
          '[point]\nengine=synchronize\nremote_url=/d/{name}\nmetadata_url=s3://backups/meta/\nmetadata_endpoint_url=http://127.0.0.1:9000\nmetadata_access_key_id=id\nmetadata_secret_access_key=key\n',
      }),
    ).toEqual({
      'a/site': 'https://dav.example.org:8443/meta/site.json',
      'b/site': 'ftps://ftp.example.org/meta/site.json',
      'c/site': 's3://backups/meta/site.json',
    });
    const box = makeSandbox('polyarchiv-metadata-secrets-');
    try {
      box.write({
        'config/site.collect': CP,
        'config/a.backup':
          '[point]\nengine=synchronize\nremote_url=https://carol:remote%20pw@dav.example.org/b/{name}\nmetadata_url=https://carol:p%40ss@dav.example.org/meta/\n',
        'config/c.backup':
          '[point]\nengine=synchronize\nremote_url=/d/{name}\nmetadata_url=ftp://carol@ftp.example.org/meta/\nmetadata_password=ftp pw\n',
      });
      const diagnostics = new Diagnostics();
      const input = loadConfigDir(box.path('config'), diagnostics);
      const config = resolveConfig(input, { now: PINNED_NOW, host: PINNED_HOST, pinned: {} }, diagnostics);
      expect(diagnostics.errors).toEqual([]);
      expect(Object.fromEntries(secretValues(config))).toEqual({
        POLYARCHIV_SECRET_A_SITE_REMOTE_URL_PASSWORD: 'remote pw',
        POLYARCHIV_SECRET_A_SITE_METADATA_URL_PASSWORD: 'p@ss',
        POLYARCHIV_SECRET_C_SITE_METADATA_PASSWORD: 'ftp pw',
      });
    } finally {
      box.remove();
    }
  });

  it('refuses a scheme it cannot reach and a malformed URL, at their lines, without a password', () => {
    expect(
      diagnose(mirror('remote_url=/b/{name}\nmetadata_url=webdav://carol:secret-pw@host/meta/\n')),
    ).toEqual([
      "error: metadata_url 'webdav://carol:***@host/meta/': webdav:// is not available in this version (use /path, file:///path, ssh://[user@]host[:port]/path, user@host:/path, http(s)://[user@]host[:port]/path (WebDAV), ftp(s)://[user@]host[:port]/path or s3://bucket/key)\n  at mirror.backup:4 [point]",
    ]);
    expect(diagnose(mirror('remote_url=/b/{name}\nmetadata_url=https://:secret-pw@host/meta/\n'))).toEqual([
      "error: bad value for option 'metadata_url': 'https://:***@host/meta/' (expected a user name before the password)\n  at mirror.backup:4 [point]",
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

  it("checks a service URL's options under their metadata_ names", () => {
    expect(
      diagnose(
        mirror(
          'remote_url=/b/{name}\nmetadata_url=https://carol:pw@host/meta/\nmetadata_password=again\nmetadata_private_key=/k\nmetadata_access_key_id=id\n',
        ),
      ),
    ).toEqual([
      "warning: option 'metadata_private_key' has no effect: metadata_url is not an ssh:// URL\n  at mirror.backup:6 [point]",
      "warning: option 'metadata_access_key_id' has no effect: metadata_url is not an s3:// URL\n  at mirror.backup:7 [point]",
      'error: metadata_url holds a password and option metadata_password is set too (give the password once: in the option (kept out of the URL) or in the URL)\n  at mirror.backup:5 [point]',
    ]);
    expect(
      diagnose(
        mirror(
          'remote_url=/b/{name}\nmetadata_url=s3://backups/meta/\nmetadata_password=pw\nmetadata_endpoint_url=http://id:key@host\n',
        ),
      ),
    ).toEqual([
      "warning: option 'metadata_password' has no effect: S3 takes metadata_access_key_id and metadata_secret_access_key\n  at mirror.backup:5 [point]",
      "error: bad value for option 'metadata_endpoint_url': 'http://id:***@host' (expected http(s)://host[:port], without a user or password)\n  at mirror.backup:6 [point]",
    ]);
  });

  it('says that a keytab and ssh options do nothing for a local path', () => {
    expect(
      diagnose(
        mirror(
          'remote_url=/b/{name}\nmetadata_url=/meta/{name}.json\nmetadata_keytab=/etc/k.keytab\nmetadata_ssh_options=-p 2\n',
        ),
      ),
    ).toEqual([
      "warning: option 'metadata_ssh_options' has no effect: metadata_url is a local path\n  at mirror.backup:6 [point]",
      "warning: option 'metadata_keytab' has no effect: metadata_url is a local path\n  at mirror.backup:5 [point]",
    ]);
  });
});
