import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shellWord } from '../../src/backends/bash/shell-word.js';
import { makePlan, type PipelineResult } from '../../src/pipeline.js';
import type { Selection } from '../../src/planner/plan.js';
import { PINNED_HOST, PINNED_NOW } from './diagnose.js';

/**
 * Fixture convention: test/fixtures/<case>/config/ is a configuration directory whose paths all
 * start with {root}; test/fixtures/<case>/fixture.json describes the case.
 */
export interface FixtureSpec {
  readonly description: string;
  /** Runs for real in the parity test (sources are created under {root}/data from `data`). */
  readonly runnable: boolean;
  readonly data?: Readonly<Record<string, string>>;
  readonly selection?: Partial<Selection>;
  readonly mode?: 'backup' | 'restore';
  /** A restore on a rebuilt machine: the collect points ({root}/collect) are lost with the data. */
  readonly rebuilt?: boolean;
  /** Bare git repositories created below {root} before the runs (the remotes of git backup points). */
  readonly gitRemotes?: readonly string[];
  /** Subversion repositories created below {root} before the runs (svnadmin create). */
  readonly svnRepositories?: readonly string[];
  /**
   * Keytabs written below {root} before the runs, each of a new principal of the suite's KDC,
   * which both backends reach through its KRB5_CONFIG.
   */
  readonly keytabs?: readonly string[];
  /**
   * A GitLab instance the parity test serves (a stand-in of the API with these namespaces and this
   * token, relaying git to smart HTTP with user `backup` and this password) and names by the
   * `gitlab_url` variable; golden snapshots take `gitlab_url` from `set`.
   */
  readonly gitlab?: {
    readonly namespaces: Readonly<Record<string, number>>;
    readonly token: string;
    readonly password: string;
  };
  /**
   * The suite's servers the parity test starts for this fixture (test/parity/services.ts), each
   * giving every sandbox a directory of its own, named to the configuration by `--set` variables:
   * `webdav` (lighttpd's mod_webdav: `webdav_host`, host:port, and `webdav_dir`), `s3` (s3rver,
   * bucket `backups`: `s3_endpoint` and `s3_prefix`, a key prefix) and `ftp` (pyftpdlib:
   * `ftp_host`, host:port, and `ftp_dir`). Their user is `backup` and their passwords the suite's
   * (test/servers/); golden snapshots take the variables from `set`, and are planned as if these
   * servers held nothing (see planSnapshot).
   */
  readonly servers?: readonly ServerName[];
  /** Secret variables (POLYARCHIV_SECRET_...) both backends find in their environment. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Extra `--set` variables. */
  readonly set?: Readonly<Record<string, string>>;
}

/** The servers a fixture may declare in `servers`. */
export type ServerName = 'webdav' | 's3' | 'ftp';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** The {root} of golden snapshots: a path that does not exist, so no state file is read. */
export const SNAPSHOT_ROOT = '/var/lib/polyarchiv-fixture';

export function listFixtures(): string[] {
  return readdirSync(FIXTURES_DIR)
    .filter((name) => existsSync(`${FIXTURES_DIR}${name}/fixture.json`))
    .sort();
}

export function fixtureSpec(name: string): FixtureSpec {
  return JSON.parse(readFileSync(`${FIXTURES_DIR}${name}/fixture.json`, 'utf8')) as FixtureSpec;
}

export function fixtureConfigDir(name: string): string {
  return `${FIXTURES_DIR}${name}/config`;
}

/** An rclone that finds no file on any server (and obscures passwords to a fixed word). */
const RCLONE_OF_EMPTY_SERVERS = fileURLToPath(new URL('./servers-hold-nothing', import.meta.url));

/**
 * The plan of a fixture at SNAPSHOT_ROOT, as golden snapshots show it. A fixture that reaches
 * servers (`servers`) reads its state files back from their metadata_url when it is planned (a
 * network read of planning): its snapshot is planned as on a machine whose servers hold no
 * mirrored state yet, without reaching any, the rclone that planning runs being a stand-in that
 * finds no file there. The snapshot is then the same bytes on every machine.
 */
export function planSnapshot(name: string): PipelineResult {
  if (fixtureSpec(name).servers === undefined) return planFixture(name, SNAPSHOT_ROOT);
  const path = process.env.PATH ?? '/usr/bin:/bin';
  process.env.PATH = `${RCLONE_OF_EMPTY_SERVERS}:${path}`;
  try {
    return planFixture(name, SNAPSHOT_ROOT);
  } finally {
    process.env.PATH = path;
  }
}

/** The plan of a fixture with pinned time, host and root. */
export function planFixture(
  name: string,
  root: string,
  overrides: Partial<Selection> = {},
  mode?: 'backup' | 'restore',
  /** Variables naming a sandbox's servers, over the fixture's `set`. */
  variables: Readonly<Record<string, string>> = {},
): PipelineResult {
  const spec = fixtureSpec(name);
  const pinned = { ...PINNED_HOST, ...spec.set, ...variables, root };
  const selection: Selection = {
    onlyCollectPoints: [],
    onlyBackupPoints: [],
    skipCollect: false,
    skipBackup: false,
    force: false,
    ...spec.selection,
    ...overrides,
  };
  const sets = Object.entries(pinned).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  return makePlan({
    configDir: `test/fixtures/${name}/config`,
    mode: mode ?? spec.mode ?? 'backup',
    now: PINNED_NOW,
    pinned,
    selection,
    regenerate: [
      'polyarchiv',
      'plan',
      '-C',
      `test/fixtures/${name}/config`,
      '--now',
      '2026-03-10T04:05:06+01:00',
      ...sets,
    ]
      .map(shellWord)
      .join(' '),
  });
}
