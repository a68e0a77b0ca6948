import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type FixtureSpec, fixtureSpec, type ServerName } from '../helpers/fixtures.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { archiveTree, maskTimestamps, snapshotTree } from '../helpers/tree.js';
import { type FtpServer, haveFtp, startFtp } from '../servers/ftp.js';
import { type GitHttpServer, haveGitHttp, startGitHttp } from '../servers/git-http.js';
import { type GitlabStandIn, startGitlabStandIn } from '../servers/gitlab-api.js';
import { haveKdc, type Kdc, startKdc } from '../servers/kdc.js';
import { haveS3, type S3Server, startS3 } from '../servers/s3.js';
import { haveWebdav, startWebdav, type WebdavServer } from '../servers/webdav.js';

/**
 * The servers some runnable fixtures reach, started once for the parity test: the suite's KDC
 * (fixtures with keytabs), git's smart HTTP (fixtures with a GitLab instance) and the WebDAV, S3
 * and FTP servers that fixtures name in `servers`. Each sandbox of a GitLab fixture gets a GitLab
 * stand-in of its own, with a directory of repositories of its own on the git server, and each
 * sandbox of a fixture with `servers` a directory of its own on each server: both backends start
 * from the same empty instance.
 */
export class ParityServices {
  private kdc: Kdc | undefined;
  private git: GitHttpServer | undefined;
  private webdav: WebdavServer | undefined;
  private s3: S3Server | undefined;
  private ftp: FtpServer | undefined;
  private readonly keytabs = new Map<string, string>();
  private readonly standIns: GitlabStandIn[] = [];
  private readonly boxes: Sandbox[] = [];

  async start(fixtures: readonly string[]): Promise<void> {
    const specs = fixtures.map(fixtureSpec);
    if (specs.some((s) => (s.keytabs ?? []).length > 0) && haveKdc()) this.kdc = await startKdc();
    const gitlab = specs.find((s) => s.gitlab !== undefined)?.gitlab;
    if (gitlab !== undefined && haveGitHttp()) this.git = await startGitHttp(gitlab.password);
    const servers = new Set(specs.flatMap((s) => s.servers ?? []));
    if (servers.has('webdav') && haveWebdav()) this.webdav = await startWebdav();
    if (servers.has('s3') && haveS3()) this.s3 = await startS3();
    if (servers.has('ftp') && haveFtp()) this.ftp = await startFtp();
  }

  async stop(): Promise<void> {
    await this.ftp?.destroy();
    await this.s3?.destroy();
    await this.webdav?.destroy();
    for (const standIn of this.standIns) await standIn.close();
    await this.git?.destroy();
    await this.kdc?.destroy();
    for (const box of this.boxes) box.remove();
  }

  /**
   * What the fixture needs in `box` (keytabs below its root), the environment and the variables
   * of its runs, and the effects of those runs outside its root.
   */
  async prepare(name: string, box: Sandbox): Promise<PreparedServices> {
    const spec = fixtureSpec(name);
    for (const keytab of spec.keytabs ?? []) {
      mkdirSync(box.path('root', keytab, '..'), { recursive: true });
      copyFileSync(this.keytabOf(name, keytab), box.path('root', keytab));
    }
    const env = spec.keytabs === undefined ? {} : { ...this.kdc?.env };
    const servers = (spec.servers ?? []).map((server) => this.areaOf(name, server, box));
    const gitlab = spec.gitlab === undefined ? undefined : await this.gitlabFor(name, spec.gitlab, box);
    return {
      env,
      variables: Object.assign({}, gitlab?.variables, ...servers.map((s) => s.variables)),
      effects: () => ({
        ...gitlab?.effects(),
        ...Object.fromEntries(servers.map((s) => [s.server, s.effects()])),
      }),
    };
  }

  /**
   * The sandbox's directory on `server` (its name the sandbox's, as for GitLab), the variables
   * that name it to the configuration, and what it holds: file names and contents, archives as the
   * trees they hold, state files with their run times and the sandbox's names masked.
   */
  private areaOf(name: string, server: ServerName, box: Sandbox) {
    const sub = basename(box.root);
    const missing = (what: string) => new Error(`fixture ${name} needs the suite's ${what}`);
    switch (server) {
      case 'webdav': {
        if (this.webdav === undefined) throw missing('WebDAV server (lighttpd, mod_webdav, rclone, curl)');
        const area = join(this.webdav.root, sub);
        mkdirSync(area);
        return {
          server,
          variables: { webdav_host: `127.0.0.1:${this.webdav.port}`, webdav_dir: sub },
          effects: () => serverFiles(area, box),
        };
      }
      case 's3': {
        const s3 = this.s3;
        if (s3 === undefined) throw missing('S3 server (s3rver, rclone)');
        return {
          server,
          variables: { s3_endpoint: s3.endpoint, s3_prefix: sub },
          effects: () => serverFiles(join(s3.directory, s3.bucket, sub), box, S3RVER_OBJECT),
        };
      }
      case 'ftp': {
        if (this.ftp === undefined) throw missing('FTP server (pyftpdlib, rclone)');
        const area = join(this.ftp.root, sub);
        mkdirSync(area);
        return {
          server,
          variables: { ftp_host: `127.0.0.1:${this.ftp.port}`, ftp_dir: sub },
          effects: () => serverFiles(area, box),
        };
      }
    }
  }

  /**
   * One keytab per fixture's keytab path, of a principal of its own, copied into every sandbox: the
   * trees of both backends hold the same bytes (each new key would give another keytab).
   */
  private keytabOf(name: string, path: string): string {
    const key = `${name}/${path}`;
    const made = this.keytabs.get(key);
    if (made !== undefined) return made;
    if (this.kdc === undefined) throw new Error(`fixture ${name} needs the suite's KDC (krb5kdc, k5start)`);
    const box = makeSandbox('polyarchiv-parity-keytab-');
    this.boxes.push(box);
    const file = box.path('keytab');
    this.kdc.addPrincipal(`parity${this.keytabs.size + 1}`, file);
    this.keytabs.set(key, file);
    return file;
  }

  /** A stand-in serving `gitlab_url`, whose created projects are pushed to over real smart HTTP. */
  private async gitlabFor(name: string, gitlab: NonNullable<FixtureSpec['gitlab']>, box: Sandbox) {
    const git = this.git;
    if (git === undefined) throw new Error(`fixture ${name} needs git's smart HTTP (lighttpd)`);
    const sub = basename(box.root);
    const repos = `${git.repos}/${sub}`;
    mkdirSync(repos);
    const standIn = await startGitlabStandIn({
      tokens: [gitlab.token],
      namespaces: gitlab.namespaces,
      repos,
      gitPort: git.port,
      gitPath: `/git/${sub}`,
    });
    this.standIns.push(standIn);
    return {
      variables: { gitlab_url: `${standIn.url}/` },
      effects: () => ({
        requests: standIn.requests(),
        creations: standIn.creations(),
        repositories: snapshotTree(repos),
      }),
    };
  }
}

/** s3rver keeps each object as KEY._S3rver_object, beside its checksum and metadata files. */
const S3RVER_OBJECT = '._S3rver_object';

const ARCHIVE = /\.tar\.(gz|zst)$/;

/**
 * The files below `dir` (only those ending with `suffix`, named without it: s3rver's objects) by
 * name, each as its digest. Two runs of one plan write archives whose bytes differ (the times of
 * the files they hold): an archive is the tree it holds. A state file names the sandbox (its
 * directory on the servers is named after it) and the times of its run: both masked. Directories
 * are left out (S3 has none).
 */
function serverFiles(dir: string, box: Sandbox, suffix = ''): Record<string, string> {
  const found: Record<string, string> = {};
  const sub = basename(box.root);
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel)).sort()) {
      const key = rel === '' ? entry : `${rel}/${entry}`;
      const path = join(dir, key);
      if (lstatSync(path).isDirectory()) {
        walk(key);
        continue;
      }
      if (!key.endsWith(suffix)) continue;
      const name = key.slice(0, key.length - suffix.length);
      const bytes = readFileSync(path);
      found[name] = ARCHIVE.test(name)
        ? `archive ${JSON.stringify(archiveTree(path))}`
        : name.endsWith('.json')
          ? maskTimestamps(bytes.toString('utf8')).replaceAll(box.root, '<root>').replaceAll(sub, '<sandbox>')
          : createHash('sha256').update(bytes).digest('hex');
    }
  };
  if (existsSync(dir)) walk('');
  return found;
}

export interface PreparedServices {
  readonly env: Record<string, string>;
  /** `--set` variables naming the sandbox's servers. */
  readonly variables: Record<string, string>;
  /** What the runs changed on the servers, comparable between the two backends. */
  effects(): unknown;
}
