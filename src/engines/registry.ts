import { archive } from './backup/archive.js';
import { gitBackupPoint } from './backup/git.js';
import { gitlabBackupPoint } from './backup/gitlab.js';
import { restic } from './backup/restic.js';
import { rollingArchive } from './backup/rolling-archive.js';
import { synchronize } from './backup/synchronize.js';
import { archiveCollectPoint } from './collect/archive.js';
import { filesCollectPoint } from './collect/files.js';
import { gitCollectPoint } from './collect/git.js';
import { subversionCollectPoint } from './collect/subversion.js';
import type { Engine, Role } from './engine.js';
import { encrypt } from './filter/encrypt.js';
import { hashes } from './filter/hashes.js';
import { commandHook } from './hooks/command-hook.js';
import { emailHook } from './hooks/email-hook.js';
import { httpHook } from './hooks/http-hook.js';
import { logHook } from './hooks/log-hook.js';
import { dovecot } from './sources/dovecot.js';
import { ldap } from './sources/ldap.js';
import { localFiles } from './sources/local-files.js';
import { mysql } from './sources/mysql.js';
import { postgresql } from './sources/postgresql.js';
import { remoteFiles } from './sources/remote-files.js';

/** Every available engine. Adding one is a new file and a line here. */
export const ENGINES: readonly Engine[] = [
  localFiles,
  remoteFiles,
  mysql,
  postgresql,
  ldap,
  dovecot,
  filesCollectPoint,
  gitCollectPoint,
  archiveCollectPoint,
  subversionCollectPoint,
  synchronize,
  archive,
  gitBackupPoint,
  gitlabBackupPoint,
  rollingArchive,
  restic,
  hashes,
  encrypt,
  logHook,
  emailHook,
  httpHook,
  commandHook,
];

/** The original's catalogue: known names that this version cannot run yet. */
const CATALOGUE: Readonly<Record<Role, readonly string[]>> = {
  source: ['local_files', 'remote_files', 'mysql', 'postgresql', 'postgressql', 'ldap', 'dovecot'],
  collect: ['files', 'git', 'archive', 'subversion'],
  backup: ['git', 'gitlab', 'synchronize', 'archive', 'rolling_archive', 'restic'],
  filter: ['encrypt', 'hashes'],
  hook: ['log', 'email', 'http'],
};

export const ROLE_TITLES: Readonly<Record<Role, string>> = {
  collect: 'collect points',
  source: 'sources',
  backup: 'backup points',
  filter: 'filters',
  hook: 'hooks',
};

export type EngineLookup =
  | { readonly kind: 'found'; readonly engine: Engine }
  | { readonly kind: 'not-available'; readonly name: string }
  | { readonly kind: 'unknown'; readonly known: readonly string[] };

/** Engine names are case-insensitive, as in the original. */
export function findEngine(role: Role, name: string): EngineLookup {
  const wanted = name.trim().toLowerCase();
  const engine = ENGINES.find(
    (e) => e.role === role && (e.name === wanted || (e.aliases ?? []).includes(wanted)),
  );
  if (engine !== undefined) return { kind: 'found', engine };
  if (CATALOGUE[role].includes(wanted)) return { kind: 'not-available', name: wanted };
  return { kind: 'unknown', known: enginesOf(role).map((e) => e.name) };
}

export function enginesOf(role: Role): Engine[] {
  return ENGINES.filter((e) => e.role === role);
}

export function plannedEngines(role: Role): string[] {
  const available = new Set(enginesOf(role).flatMap((e) => [e.name, ...(e.aliases ?? [])]));
  return CATALOGUE[role].filter((name) => !available.has(name));
}
