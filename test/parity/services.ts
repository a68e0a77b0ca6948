import { copyFileSync, mkdirSync } from 'node:fs';
import { basename } from 'node:path';
import { type FixtureSpec, fixtureSpec } from '../helpers/fixtures.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { snapshotTree } from '../helpers/tree.js';
import { type GitHttpServer, haveGitHttp, startGitHttp } from '../servers/git-http.js';
import { type GitlabStandIn, startGitlabStandIn } from '../servers/gitlab-api.js';
import { haveKdc, type Kdc, startKdc } from '../servers/kdc.js';

/**
 * The servers some runnable fixtures reach, started once for the parity test: the suite's KDC
 * (fixtures with keytabs) and git's smart HTTP (fixtures with a GitLab instance). Each sandbox of
 * a GitLab fixture gets a GitLab stand-in of its own, with a directory of repositories of its own
 * on the git server: both backends start from the same empty instance.
 */
export class ParityServices {
  private kdc: Kdc | undefined;
  private git: GitHttpServer | undefined;
  private readonly keytabs = new Map<string, string>();
  private readonly standIns: GitlabStandIn[] = [];
  private readonly boxes: Sandbox[] = [];

  async start(fixtures: readonly string[]): Promise<void> {
    const specs = fixtures.map(fixtureSpec);
    if (specs.some((s) => (s.keytabs ?? []).length > 0) && haveKdc()) this.kdc = await startKdc();
    const gitlab = specs.find((s) => s.gitlab !== undefined)?.gitlab;
    if (gitlab !== undefined && haveGitHttp()) this.git = await startGitHttp(gitlab.password);
  }

  async stop(): Promise<void> {
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
    if (spec.gitlab === undefined) return { env, variables: {}, effects: () => ({}) };
    return { env, ...(await this.gitlabFor(name, spec.gitlab, box)) };
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

export interface PreparedServices {
  readonly env: Record<string, string>;
  /** `--set` variables naming the sandbox's servers. */
  readonly variables: Record<string, string>;
  /** What the runs changed on the servers, comparable between the two backends. */
  effects(): unknown;
}
