import { afterEach, describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { gitlabProject } from '../../src/backends/execute/gitlab-project.js';
import { type RunContext, writePrivateFile } from '../../src/backends/execute/run-exec.js';
import { buildCommands } from '../../src/graph/build-commands.js';
import type { Command, GitlabProjectCommand, PrivateFileCommand } from '../../src/graph/command.js';
import { runAsync } from '../helpers/cli.js';
import { partialFile, useWorkDir } from '../helpers/partials.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { type GitlabOptions, type GitlabStandIn, startGitlabStandIn } from '../servers/gitlab-api.js';
import { freePort } from '../servers/server-process.js';

const canRun = haveTools('bash', 'curl');
/** What a careless config file or shell line would break on (tokens are ASCII, as header values). */
const TOKEN = 'glpat-"quoted" \\back\\slash $(id)';
const READER = 'glpat-reader';
const SECRET = 'POLYARCHIV_SECRET_UP_JOURNAL_API_KEY';
/** As the engine names the token's option: with characters that double quotes would expand. */
const TOKEN_OPTION = 'option \'api_key\' (up "$HOME" `id`.backup:5 [point], made of {key})';

const newSandbox = sandboxesPerTest();

function commandsFor(api: string, project: string): [PrivateFileCommand, GitlabProjectCommand] {
  const commands: Command[] = buildCommands({
    id: 'u/1',
    after: [],
    origin: { file: 'up.backup', line: 3, section: 'point' },
    summary: 'create the project',
    kind: 'gitlab-project',
    api,
    project,
    tokenSecret: SECRET,
    tokenOption: TOKEN_OPTION,
    workFiles: 'gitlab.up.journal',
  });
  const [token, ensure] = commands;
  if (token?.kind !== 'private-file' || ensure?.kind !== 'gitlab-project')
    throw new Error('unexpected commands');
  return [token, ensure];
}

type Outcome = { code: number; said: string[] };

async function viaScript(commands: readonly Command[], box: Sandbox, token: string): Promise<Outcome> {
  const run = await runAsync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; source "$2"; ${useWorkDir('$3')}; ${commands.map(commandLine).join('; ')}`,
      'bash',
      partialFile('helpers.hbs'),
      partialFile('helpers-gitlab.hbs'),
      box.root,
    ],
    { [SECRET]: token },
  );
  const said = run.stderr.split('\n').filter((l) => l.startsWith('polyarchiv: '));
  return { code: run.code, said: said.map((l) => l.slice('polyarchiv: '.length)) };
}

async function viaExecutor(
  [token, ensure]: readonly [PrivateFileCommand, GitlabProjectCommand],
  box: Sandbox,
  value: string,
): Promise<Outcome> {
  const said: string[] = [];
  const ctx: RunContext = { workDir: box.root, secrets: new Map([[SECRET, value]]), processes: new Set() };
  writePrivateFile(token, ctx);
  const code = await gitlabProject(
    ensure,
    ctx,
    (line) => said.push(line),
    (line) => said.push(line),
  );
  return { code, said };
}

describe.runIf(canRun)('polyarchiv_gitlab_project and gitlabProject agree', () => {
  const servers: GitlabStandIn[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  /** The same request in both backends, each against a stand-in started as `options` says. */
  async function both(project: string, token: string, options: Partial<GitlabOptions> = {}, down = false) {
    const results: (Outcome & { requests: string[]; creations: Record<string, string>[] })[] = [];
    for (const backend of ['script', 'executor'] as const) {
      const gitlab = await startGitlabStandIn({
        tokens: [TOKEN, READER],
        readOnlyTokens: [READER],
        ...options,
      });
      servers.push(gitlab);
      const api = down ? `http://127.0.0.1:${await freePort()}/gitlab/api/v4` : `${gitlab.url}/api/v4`;
      const box = newSandbox('polyarchiv-twin-');
      const commands = commandsFor(api, project);
      const outcome =
        backend === 'script'
          ? await viaScript(commands, box, token)
          : await viaExecutor(commands, box, token);
      results.push({ ...outcome, requests: gitlab.requests(), creations: gitlab.creations() });
    }
    expect(results[1]).toEqual(results[0]);
    return results[0] as Outcome & { requests: string[]; creations: Record<string, string>[] };
  }

  it('finds an existing project and changes nothing', async () => {
    const result = await both('backups/journal', TOKEN, { projects: ['backups/journal'] });
    expect(result).toEqual({
      code: 0,
      said: ['  GitLab project backups/journal exists'],
      requests: ['GET /gitlab/api/v4/projects/backups%2Fjournal'],
      creations: [],
    });
  });

  it('creates a missing project, private, in its nested namespace found by path', async () => {
    const result = await both('team/backups/journal', TOKEN, { namespaces: { 'team/backups': 42 } });
    expect(result).toEqual({
      code: 0,
      said: ['  GitLab project team/backups/journal created (private)'],
      requests: [
        'GET /gitlab/api/v4/projects/team%2Fbackups%2Fjournal',
        'GET /gitlab/api/v4/namespaces/team%2Fbackups',
        'POST /gitlab/api/v4/projects',
      ],
      creations: [{ name: 'journal', path: 'journal', namespace_id: '42', visibility: 'private' }],
    });
  });

  it('refuses a wrong token (401) without asking further', async () => {
    const result = await both('backups/journal', 'wrong', { namespaces: { backups: 7 } });
    expect(result).toMatchObject({
      code: 1,
      said: [
        `  GitLab answered HTTP 401 to the query of the project for project backups/journal: check the token of ${TOKEN_OPTION}, and that its user may create projects there`,
      ],
      requests: ['GET /gitlab/api/v4/projects/backups%2Fjournal'],
    });
  });

  it('refuses a missing namespace (404) without creating anything', async () => {
    const result = await both('nowhere/journal', TOKEN);
    expect(result).toMatchObject({
      code: 1,
      said: [
        `  GitLab answered HTTP 404 to the query of the namespace nowhere for project nowhere/journal: no such namespace, or not visible to the user of the token of ${TOKEN_OPTION}`,
      ],
      creations: [],
    });
    expect(result.requests).toHaveLength(2);
  });

  it('refuses a token that may not create projects (403)', async () => {
    const result = await both('backups/journal', READER, { namespaces: { backups: 7 } });
    expect(result).toMatchObject({
      code: 1,
      said: [
        `  GitLab answered HTTP 403 to the creation of the project for project backups/journal: check the token of ${TOKEN_OPTION}, and that its user may create projects there`,
      ],
    });
  });

  it('fails with curl status 7 when the server is down', async () => {
    const result = await both('backups/journal', TOKEN, {}, true);
    expect(result).toEqual({ code: 7, said: [], requests: [], creations: [] });
  });
});
