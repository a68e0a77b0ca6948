import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveTools } from '../helpers/tools.js';
import { destroyProcess, freePort, serverLog } from './server-process.js';

/** Debian's python3-aiosmtpd is installed for the system's python, not for another one on PATH. */
export const PYTHON = '/usr/bin/python3';
const MAIN = fileURLToPath(new URL('./smtp-main.py', import.meta.url));

export function haveSmtp(): boolean {
  const ok = haveTools(PYTHON, 'openssl') && spawnSync(PYTHON, ['-c', 'import aiosmtpd']).status === 0;
  if (!ok && process.env.CI === 'true')
    throw new Error('CI=true and python3-aiosmtpd is missing (scripts/system-deps.sh installs it)');
  return ok;
}

export type SmtpRecord =
  | { readonly auth: string; readonly ok: boolean }
  | {
      readonly from: string;
      readonly to: string[];
      readonly content: string;
      readonly authenticated: boolean;
    };

export interface SmtpServer {
  readonly port: number;
  /** The self-signed certificate the server presents (for TLS modes), as a CA bundle. */
  readonly certificate: string;
  records(): SmtpRecord[];
  stop(): Promise<void>;
}

export interface SmtpOptions {
  readonly user: string;
  readonly password: string;
  readonly mechanism: 'PLAIN' | 'LOGIN';
  readonly mode: 'plain' | 'starttls' | 'tls';
}

/** Starts smtp-main.py on a free loopback port, with a certificate for 127.0.0.1. */
export async function startSmtp(options: SmtpOptions): Promise<SmtpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-smtp-'));
  const [cert, key, log] = ['cert.pem', 'key.pem', 'records.jsonl'].map((name) => join(dir, name)) as [
    string,
    string,
    string,
  ];
  const openssl = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { encoding: 'utf8' },
  );
  if (openssl.status !== 0) throw new Error(`openssl: ${openssl.stderr}`);
  const port = await freePort();
  const serverErrors = serverLog(dir, 'smtp.log');
  const child: ChildProcess = spawn(
    PYTHON,
    [MAIN, String(port), log, options.mechanism, options.mode, cert, key],
    // The credentials go through the environment: the tests scan every process's argv for the password.
    {
      stdio: ['ignore', 'pipe', serverErrors.fd],
      env: { ...process.env, SMTP_TEST_USER: options.user, SMTP_TEST_PASSWORD: options.password },
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) =>
      reject(new Error(`the SMTP server exited with ${code}: ${serverErrors.read()}`)),
    );
  });
  return {
    port,
    certificate: cert,
    records: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => JSON.parse(line) as SmtpRecord)
        : [],
    stop: () => destroyProcess(child, dir),
  };
}
