import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { type Slapd, SUFFIX, sampleLdif, startSlapd } from '../servers/slapd.js';
import { makeSandbox, type Sandbox } from './sandbox.js';
import { haveTools } from './tools.js';

export const NOW = ['--now', '2026-03-10T04:05:06+01:00'];

/** The server, its tools and what the source runs beside them. */
export const haveLdapTools = (): boolean =>
  haveTools(
    '/usr/sbin/slapd',
    'slapcat',
    'slapadd',
    'ldapsearch',
    'start-stop-daemon',
    'rsync',
    'flock',
    'mountpoint',
  );

/** What each test of an ldap file works with; read it in the test, once the hooks have run. */
export interface LdapCase {
  readonly slapd: Slapd;
  readonly box: Sandbox;
  /** -C and --set root for the sandbox's configuration. */
  readonly args: string[];
  /** The directory's contents as loaded, which every test leaves it with. */
  readonly sample: string;
  /** The source of the collect point `site`, with `extra` lines. */
  source(extra?: readonly string[]): string[];
  /** The collect point `site` with `lines` as its source "directory", and a synchronize mirror. */
  writeConfig(lines?: readonly string[], more?: Record<string, string>): void;
  dumpFile(): string;
  wipe(): void;
}

/**
 * Starts one slapd with the sample directory for the tests of the calling `describe`, and gives
 * each test a sandbox with the source configured; after each test, slapd runs with the sample.
 */
export function useLdapCase(): LdapCase {
  let slapd: Slapd;
  let box: Sandbox;
  let args: string[] = [];
  let sample = '';

  beforeAll(() => {
    slapd = startSlapd();
    slapd.modify('ldapadd', sampleLdif());
    sample = slapd.contents();
  }, 60_000);
  afterAll(() => slapd?.remove());

  const source = (extra: readonly string[] = []): string[] => [
    'engine = ldap',
    `config_dir = ${slapd.configDir}`,
    `data_directory = ${slapd.dataDir}`,
    `stop_command = ${slapd.stopCommand}`,
    `start_command = ${slapd.startCommand}`,
    ...extra,
  ];
  const writeConfig = (lines: readonly string[] = source(), more: Record<string, string> = {}) => {
    box.write({
      'config/site.collect': ldapCollect(lines),
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
      ...more,
    });
  };

  beforeEach(() => {
    box = makeSandbox('polyarchiv-ldap-e2e-');
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    writeConfig();
  });
  afterEach(() => {
    // Every test leaves the server running with the sample, whatever it did to it.
    if (!slapd.isRunning()) slapd.start();
    box.remove();
  });

  return {
    get slapd() {
      return slapd;
    },
    get box() {
      return box;
    },
    get args() {
      return args;
    },
    get sample() {
      return sample;
    },
    source,
    writeConfig,
    dumpFile: () => box.path('collect/site/backups/ldap.ldif'),
    wipe: () => slapd.modify('ldapdelete', '', '-r', SUFFIX),
  };
}

/** A collect point with `source` as its source "directory". */
export function ldapCollect(source: readonly string[]): string {
  return `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "directory"]\n${source.join('\n')}\n`;
}

/** From a file, with --yes: a restore script replaces the directory without a terminal. */
export function runScript(box: Sandbox, script: string) {
  writeFileSync(box.path('plan.sh'), script, { mode: 0o600 });
  return spawnSync('bash', [box.path('plan.sh'), '--yes'], { encoding: 'utf8' });
}
