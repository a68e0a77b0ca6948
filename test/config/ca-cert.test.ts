import { describe, expect, it } from 'vitest';
import { diagnose } from '../helpers/diagnose.js';
import { mirror } from './malformed-cases.js';

describe('ca_cert', () => {
  it('takes an absolute path or any, and refuses anything else at its line', () => {
    expect(
      diagnose(mirror('remote_url=https://dav.example.org/b/{name}\nca_cert=/etc/ssl/ca.pem\n')),
    ).toEqual([]);
    expect(diagnose(mirror('remote_url=ftps://ftp.example.org/b/{name}\nca_cert=any\n'))).toEqual([]);
    expect(diagnose(mirror('remote_url=https://dav.example.org/b/{name}\nca_cert=certs/ca.pem\n'))).toEqual([
      "error: bad value for option 'ca_cert': 'certs/ca.pem' (expected the absolute path of a CA bundle (PEM file), or any (no verification))\n  at mirror.backup:4 [point]",
    ]);
  });

  it('has no effect on plain http://, ftp:// or an S3 endpoint over http://: said at its line', () => {
    expect(diagnose(mirror('remote_url=http://dav.example.org/b/{name}\nca_cert=/ca.pem\n'))).toEqual([
      "warning: option 'ca_cert' has no effect: remote_url is plain http://, without TLS\n  at mirror.backup:4 [point]",
    ]);
    expect(diagnose(mirror('remote_url=ftp://ftp.example.org/b/{name}\nca_cert=any\n'))).toEqual([
      "warning: option 'ca_cert' has no effect: remote_url is plain ftp://, without TLS\n  at mirror.backup:4 [point]",
    ]);
    expect(
      diagnose(
        mirror('remote_url=s3://bucket/b/{name}\nendpoint_url=http://127.0.0.1:9000\nca_cert=/ca.pem\n'),
      ),
    ).toEqual([
      "warning: option 'ca_cert' has no effect: endpoint_url is plain http://\n  at mirror.backup:5 [point]",
    ]);
  });

  it('is checked the same way as metadata_ca_cert for metadata_url', () => {
    expect(
      diagnose(
        mirror('remote_url=/b/{name}\nmetadata_url=ftp://ftp.example.org/meta/\nmetadata_ca_cert=ca.pem\n'),
      ),
    ).toEqual([
      "error: bad value for option 'metadata_ca_cert': 'ca.pem' (expected the absolute path of a CA bundle (PEM file), or any (no verification))\n  at mirror.backup:5 [point]",
      "warning: option 'metadata_ca_cert' has no effect: metadata_url is plain ftp://, without TLS\n  at mirror.backup:5 [point]",
    ]);
  });
});
