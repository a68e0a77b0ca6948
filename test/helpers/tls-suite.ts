import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestCa } from '../servers/test-ca.js';
import { runCli } from './cli.js';
import { ODD_FILES, writeTree } from './odd-files.js';
import { makeSandbox, type Sandbox } from './sandbox.js';
import { configureOffsite } from './service-targets.js';

/** A TLS server of backup points (https WebDAV, FTPS) whose certificate the suite's CA signs. */
export interface TlsServer {
  /** The URL of `path` on the server, credentials included. */
  url(path: string): string;
  /** Where the server keeps `path` on this host. */
  stored(path: string): string;
  /** Removes what the tests wrote on the server. */
  clear(): void;
}

/**
 * What ca_cert decides for an archive backup point on a TLS server: without it, or with a CA
 * bundle that did not sign the server's certificate, the run fails at the point's line and
 * writes nothing there; `ca_cert = any` accepts the server. (The round trips with the right
 * bundle are the transport's own tests.)
 */
export function unverifiedServerTests(server: () => TlsServer, prefix: string): void {
  // Its own describe: its hooks stay with its tests, not with the caller's other suites.
  describe('a server that ca_cert does not verify', () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox(`polyarchiv-${prefix}-`);
      writeTree(box.path('data'), ODD_FILES);
    });
    afterEach(() => {
      box.remove();
      server().clear();
    });

    const configure = (caCert: readonly string[]) =>
      configureOffsite(box, ['engine = archive', `remote_url = ${server().url('{name}.tar.gz')}`, ...caCert]);
    const archive = () => server().stored('site.tar.gz');

    it('refuses a server that no CA it is given signed: no ca_cert, or a foreign CA bundle', () => {
      const foreign = makeTestCa(box.root).ca;
      for (const caCert of [[], [`ca_cert = ${foreign}`]]) {
        const refused = runCli(['backup', ...configure(caCert)]);
        expect(refused.code, refused.stderr).toBe(1);
        expect(refused.stderr).toMatch(/certificate signed by unknown authority/);
        expect(refused.stderr).toMatch(/offsite\.backup:3 \[point\]/);
        expect(existsSync(archive())).toBe(false);
      }
    }, 120_000);

    it('accepts the server whatever signed it with ca_cert = any', () => {
      const accepted = runCli(['backup', ...configure(['ca_cert = any'])]);
      expect(accepted.code, accepted.stderr).toBe(0);
      expect(existsSync(archive())).toBe(true);
    }, 120_000);
  });
}
