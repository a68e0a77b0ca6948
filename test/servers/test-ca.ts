import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate and its private key (PEM files, the key unencrypted). */
export interface Issued {
  readonly certificate: string;
  readonly key: string;
}

/**
 * A certificate authority of the test suite's own, in `dir`: a server's certificate is issued for
 * 127.0.0.1 and signed by it, so that a client verifies the server with `ca` as its CA bundle, as
 * with a site's private CA (a self-signed server certificate would prove less: it is its own CA).
 */
export interface TestCa {
  /** The CA's certificate: the bundle a client is given. */
  readonly ca: string;
  /** A server certificate for 127.0.0.1, named `name` in `dir`. */
  server(name: string): Issued;
  /** A client certificate whose subject is `CN=commonName`. */
  client(name: string, commonName: string): Issued;
  /** `issued` as a PKCS#12 file (certificate and key) encrypted with `password`, read from stdin. */
  pkcs12(issued: Issued, name: string, password: string): string;
}

function openssl(args: readonly string[], input?: string): void {
  const ran = spawnSync('openssl', args, { encoding: 'utf8', input });
  if (ran.status !== 0) throw new Error(`openssl ${args[0]}: ${ran.stderr}`);
}

export function makeTestCa(dir: string): TestCa {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca-key.pem');
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2'].concat(
      ['-subj', '/CN=polyarchiv test CA', '-addext', 'basicConstraints=critical,CA:TRUE'],
      ['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ),
  );
  let serial = 0;
  const issue = (name: string, subject: string, extensions: readonly string[]): Issued => {
    const certificate = join(dir, `${name}.pem`);
    const key = join(dir, `${name}-key.pem`);
    const request = join(dir, `${name}.csr`);
    const extfile = join(dir, `${name}.ext`);
    writeFileSync(extfile, `${extensions.join('\n')}\n`);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', request, '-subj', subject]);
    serial += 1;
    openssl(
      ['x509', '-req', '-in', request, '-CA', ca, '-CAkey', caKey, '-out', certificate, '-days', '2'].concat([
        '-set_serial',
        String(serial),
        '-extfile',
        extfile,
      ]),
    );
    return { certificate, key };
  };
  return {
    ca,
    server: (name) =>
      issue(name, '/CN=127.0.0.1', ['subjectAltName=IP:127.0.0.1', 'extendedKeyUsage=serverAuth']),
    client: (name, commonName) => issue(name, `/CN=${commonName}`, ['extendedKeyUsage=clientAuth']),
    pkcs12: (issued, name, password) => {
      const file = join(dir, `${name}.p12`);
      openssl(
        ['pkcs12', '-export', '-in', issued.certificate, '-inkey', issued.key, '-out', file].concat([
          '-passout',
          'stdin',
        ]),
        `${password}\n`,
      );
      return file;
    },
  };
}
