import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { REMOTE_DIR } from './service-targets.js';
import { snapshotTree } from './tree.js';

/**
 * A server of backup points reached through rclone (WebDAV, FTP, S3), started by the suite, as the
 * shared tests see it. Paths are below a directory with a hostile name that each server serves.
 */
export interface ServiceServer {
  readonly password: string;
  /** How the server says a password is wrong; undefined: the server takes any. */
  readonly refused?: RegExp;
  /** The URL of `path`, with the password in it where the URL can hold one. */
  url(path: string): string;
  /** The lines a backup point adds after remote_url (S3's endpoint and keys). */
  readonly lines: readonly string[];
  /** The backup point's lines for `path` with its credentials kept out of the URL (`secret`: another password). */
  plainLines(path: string, secret?: string): string[];
  /** Where the server keeps `path`'s bytes on this host (an archive is read there). */
  stored(path?: string): string;
  read(path: string): Buffer;
  /** Sends `bytes` to `path` through the server's protocol (as a client, not on its disk). */
  upload(path: string, bytes: Buffer): void;
  exists(path: string): boolean;
  /** The names of the tests' directory, sorted. */
  list(): string[];
  /** What the tests' directory below `prefix` holds, as snapshotTree pictures it. */
  tree(prefix: string): Record<string, string>;
  /** Empties the tests' directory. */
  clear(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A directory of a server that stores files as files, below the tests' hostile directory. */
export function filesOf(
  root: string,
): Pick<ServiceServer, 'stored' | 'read' | 'exists' | 'list' | 'tree' | 'clear'> {
  const stored = (path = '') => `${root}/${REMOTE_DIR}${path === '' ? '' : `/${path}`}`;
  return {
    stored,
    read: (path) => readFileSync(stored(path)),
    exists: (path) => existsSync(stored(path)),
    list: () => (existsSync(stored()) ? readdirSync(stored()).sort() : []),
    tree: (prefix) => snapshotTree(stored(prefix)),
    clear: () => rmSync(stored(), { recursive: true, force: true }),
  };
}
