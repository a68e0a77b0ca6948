import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { runSvn, type SvnCase, svnCase, youngest } from '../helpers/svn-case.js';
import { roundTrip, setRemoteUrl, state, watchSlowCommits } from '../helpers/svn-checks.js';
import { haveTools } from '../helpers/tools.js';
import { type ApacheSvnServer, haveApacheSvn, startApacheSvn } from '../servers/apache-svn.js';
import { makeTestCa } from '../servers/test-ca.js';

const canRun = haveApacheSvn() && haveTools('svnlook', 'rsync', 'flock', 'bash', 'sha256sum');
const SECRET = 'POLYARCHIV_SECRET_JOURNAL_REMOTE_URL_PASSWORD';
const CERT_SECRET = 'POLYARCHIV_SECRET_JOURNAL_CLIENT_CERT_PASSWORD';
/** What a careless configuration file or shell line would break on. */
const CERT_PASSWORD = `cert "pass" $(id) 'q' ✓`;

/** A run that the server's TLS or authentication refused: exit 1, the point's line named, no revision. */
function expectRefused(t: SvnCase, run: ReturnType<typeof runSvn>, message: RegExp, revisions: number) {
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.stdout + run.stderr).toMatch(message);
  expect(run.stdout + run.stderr).toMatch(/journal\.collect:4 \[point\]/);
  expect(state(t).last_state_valid).toBe(false);
  expect(youngest(t.repository)).toBe(revisions);
}

/** The server, and the sandboxes of the current test, removed after it. */
function withServer(clientCertificates: boolean) {
  const context = {
    server: undefined as unknown as ApacheSvnServer,
    boxes: [] as Sandbox[],
    count: 0,
    /** A new repository, reached with the password in remote_url and `extra` options. */
    served(extra: readonly string[]): SvnCase {
      context.count += 1;
      const name = `journal-${context.count}`;
      const t = svnCase(context.server.url(name), context.server.createRepository(name), extra);
      context.boxes.push(t.box);
      return t;
    },
  };
  beforeAll(async () => {
    context.server = await startApacheSvn({ clientCertificates });
  });
  afterAll(async () => {
    await context.server?.destroy();
  });
  afterEach(() => {
    for (const box of context.boxes.splice(0)) box.remove();
  });
  return context;
}

describe.runIf(canRun)(
  'a subversion collect point over https (Apache mod_dav_svn)',
  { timeout: 600_000 },
  () => {
    const https = withServer(false);
    const verified = () => https.served([`ca_cert = ${https.server.ca}`]);
    let foreign: Sandbox;
    beforeAll(() => {
      foreign = makeSandbox('polyarchiv-foreign-ca-');
    });
    afterAll(() => foreign?.remove());

    describe.each(['apply', 'script'] as const)('through %s', (backend) => {
      it('round-trips odd names with a basic-auth password, verifying the server with ca_cert', () =>
        roundTrip(verified(), backend));

      it('fails the point on a wrong password, naming its line, and commits nothing', () => {
        const t = verified();
        expect(runSvn(t, backend).code).toBe(0);
        setRemoteUrl(t, https.server.url(`journal-${https.count}`, 'wrong password'));
        writeFileSync(t.box.path('data/more.txt'), 'more\n');
        const run = runSvn(t, backend);
        expectRefused(t, run, /Authentication failed|authorization failed/i, 1);
        expect(run.stdout + run.stderr).toMatch(
          /the server refused the user and password of option 'remote_url' \(journal\.collect:4 \[point\]\): one of them is wrong/,
        );
        expect(run.stdout + run.stderr).not.toContain('wrong password');
      });

      it('names the line of a wrong password on the first checkout, and commits nothing', () => {
        const t = verified();
        setRemoteUrl(t, https.server.url(`journal-${https.count}`, 'wrong password'));
        const run = runSvn(t, backend);
        expectRefused(t, run, /E215004/, 0);
        expect(run.stdout + run.stderr).toMatch(
          /the server refused the user and password of option 'remote_url' \(journal\.collect:4 \[point\]\): one of them is wrong/,
        );
        expect(run.stdout + run.stderr).not.toContain('wrong password');
      });

      it('refuses a server no CA it is given signed (no ca_cert, a foreign CA), and accepts it with ca_cert = any', () => {
        const foreignCa = makeTestCa(foreign.root).ca;
        for (const caCert of [[], [`ca_cert = ${foreignCa}`]]) {
          const t = https.served(caCert);
          expectRefused(t, runSvn(t, backend), /certificate verification failed: issuer is not trusted/, 0);
        }
        const t = https.served(['ca_cert = any']);
        const run = runSvn(t, backend);
        expect(run.code, run.stdout + run.stderr).toBe(0);
        expect(youngest(t.repository)).toBe(1);
      });
    });

    it('keeps the password out of every command line, the script, the output and svn configuration during a slow commit', async () => {
      const password = https.server.password;
      await watchSlowCommits(verified(), [password, encodeURIComponent(password), 'w/rd $(id)'], SECRET);
    });
  },
);

describe.runIf(canRun)(
  'a subversion collect point over https with a client certificate',
  { timeout: 600_000 },
  () => {
    const https = withServer(true);
    let certificate: string;
    beforeAll(() => {
      certificate = https.server.clientCertificate('client', CERT_PASSWORD);
    });
    const withCertificate = (password = CERT_PASSWORD) =>
      https.served([
        `ca_cert = ${https.server.ca}`,
        `client_cert = ${certificate}`,
        `client_cert_password = ${password}`,
      ]);

    describe.each(['apply', 'script'] as const)('through %s', (backend) => {
      it('round-trips odd names with a PKCS#12 client certificate and its password', () =>
        roundTrip(withCertificate(), backend));

      it('fails the point without a client certificate, or with a wrong client_cert_password, naming its line', () => {
        const none = https.served([`ca_cert = ${https.server.ca}`]);
        expectRefused(none, runSvn(none, backend), /SSL/, 0);
        const wrong = withCertificate('not the password');
        const run = runSvn(wrong, backend);
        expectRefused(wrong, run, /SSL/, 0);
        expect(run.stdout + run.stderr).not.toContain('not the password');
      });
    });

    it('keeps the certificate password out of every command line, the script, the output and svn configuration during a slow commit', async () => {
      await watchSlowCommits(withCertificate(), [CERT_PASSWORD, https.server.password], CERT_SECRET);
    });
  },
);
