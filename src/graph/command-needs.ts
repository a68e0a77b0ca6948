import type { Command, Word } from './command.js';
import { BASH_BUILTINS, HELPERS, type HelperContract } from './helper-contracts.js';

/** Where the tools found are noted: a Set, or a list that keeps every occurrence. */
interface ToolSink {
  add(tool: string): unknown;
}

/**
 * The tools a command needs on the machine that runs it (listed in the script header): a plain
 * command's programs, not the bash builtins that the script runs without one; for every other
 * kind, what its helper runs itself, as its contract declares (the contract test holds each
 * rendered helper to that list), and the programs of the commands it hands the helper to run.
 */
export function toolsOf(command: Command): string[] {
  if (command.kind !== 'exec') {
    const tools = new Set<string>();
    addToolsOf(command, tools);
    return [...tools];
  }
  const tools: string[] = [];
  addToolsOf(command, { add: (tool) => tools.push(tool) });
  return tools;
}

/**
 * The tools of `toolsOf`, noted into `tools`: a plan notes those of tens of thousands of commands
 * into one set, without an array for each.
 */
export function addToolsOf(command: Command, tools: ToolSink): void {
  if (command.kind === 'exec') {
    addArgvTools(command.argv, tools);
    for (const stage of command.pipeline ?? []) addArgvTools(stage, tools);
    return;
  }
  for (const tool of HELPER_OF[command.kind].tools) tools.add(tool);
  for (const argv of givenCommands(command)) addArgvTools(argv, tools);
}

type HelperKind = Exclude<Command['kind'], 'exec'>;

/** The helper, of the script and of its twin in apply, that runs each kind of command. */
export const HELPER_OF = {
  'make-dir': HELPERS.makeDir,
  'create-file': HELPERS.createFile,
  'dir-recover': HELPERS.dirRecover,
  'dir-swap': HELPERS.dirSwap,
  'private-file': HELPERS.privateFile,
  'check-dump': HELPERS.checkDump,
  'check-copy': HELPERS.checkCopy,
  copy: HELPERS.copy,
  'publish-file': HELPERS.publish,
  'dir-reload': HELPERS.dirReload,
  confirm: HELPERS.confirm,
  'align-mailboxes': HELPERS.dovecotAlign,
  'exec-if-changed': HELPERS.execIfChanged,
  'restic-init': HELPERS.resticInit,
  'restic-restore-at': HELPERS.resticRestoreAt,
  'git-reset-at': HELPERS.gitResetAt,
  'svn-update-at': HELPERS.svnUpdateAt,
  'newest-file': HELPERS.newestFile,
  'gitlab-project': HELPERS.gitlabProject,
  'svn-stage': HELPERS.svnStage,
  'map-tree': HELPERS.mapTree,
  'apply-modes': HELPERS.applyModes,
} as const satisfies Record<HelperKind, HelperContract>;

/** Every command a helper is given to run, whether or not this run reaches it. */
function givenCommands(command: Exclude<Command, { kind: 'exec' }>): readonly (readonly Word[])[] {
  switch (command.kind) {
    case 'make-dir':
    case 'create-file':
    case 'dir-recover':
    case 'dir-swap':
    case 'private-file':
    case 'check-dump':
    case 'publish-file':
    case 'apply-modes':
      return [];
    case 'check-copy':
      return [command.incoming, command.previous, command.otherwise ?? []];
    case 'copy':
      return [command.incoming, command.previous, command.copy];
    case 'dir-reload':
      return [command.stop, command.start, command.load];
    case 'confirm':
      return [command.preview];
    case 'align-mailboxes':
      return [command.live, command.copy];
    case 'exec-if-changed':
      return [command.probe, command.run];
    case 'restic-init':
      return [command.probe, command.init];
    case 'restic-restore-at':
      return [command.list, command.parse, command.files, command.every, command.restore];
    case 'git-reset-at':
      return [command.choose, command.reset];
    case 'svn-update-at':
      return [command.list, command.baseline, command.update];
    case 'newest-file':
      // `after` is the end of `get`'s line, after the path it is given: words, not a command.
      return [command.list, command.get];
    case 'gitlab-project':
      return [command.find, command.namespace, command.create];
    case 'svn-stage':
      return [command.svn];
    case 'map-tree':
      return [command.tool];
  }
}

/**
 * The program, and what it runs: the tool after `sudo ... --` and `env NAME=VALUE`, ssh of rsync -e.
 * Bash runs its builtins itself (`test`, `printf`): nothing to install; what another program
 * starts (xargs, sudo, timeout, k5start) is a program, whatever its name.
 */
function addArgvTools(argv: readonly Word[], tools: ToolSink, byBash = true): void {
  const first = argv[0];
  if (typeof first !== 'string' || first === '') return;
  if (byBash && BASH_BUILTINS.has(first)) return;
  tools.add(first);
  // xargs runs the tool after its `--`.
  if (isProgram(first, 'xargs')) {
    const tool = argv[argv.indexOf('--') + 1];
    if (typeof tool === 'string' && tool !== '') tools.add(tool);
    return;
  }
  // A tool run under `timeout --kill-after=S SECONDS`: timeout, then the tool.
  if (first === 'timeout') {
    addArgvTools(argv.slice(3), tools, false);
    return;
  }
  // A tool run under k5start (a Kerberos login): k5start, then the tool after its `--`, if any.
  if (isProgram(first, 'k5start')) {
    const end = argv.indexOf('--');
    if (end >= 0) addArgvTools(argv.slice(end + 1), tools, false);
    return;
  }
  // Most commands run their tool directly: read the words only when sudo or -e needs them.
  if (first !== 'sudo' && !argv.includes('-e')) return;
  const words = argv.map((w) => (typeof w === 'string' ? w : ''));
  const found = [first];
  if (first === 'sudo') {
    const rest = words.slice(words.indexOf('--') + 1);
    const program = (rest[0] === 'env' ? rest.slice(1) : rest).find(
      (w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w),
    );
    if (program !== undefined && program !== '') {
      tools.add(program);
      found.push(program);
    }
  }
  // rsync's -e names its remote shell, another tool it starts; other tools' -e is no program
  // (`test -e PATH`, `sed -e SCRIPT`).
  const shell = words.indexOf('-e');
  if (shell > 0 && words[shell + 1] !== undefined && found.some((t) => /(^|\/)rsync[^/]*$/.test(t))) {
    const remoteShell = (words[shell + 1] as string).split(' ')[0] ?? '';
    if (remoteShell !== '') tools.add(remoteShell);
  }
}

/**
 * Whether a command's first word runs `program`, by its name or a path to it: compared as text, not
 * matched by a regular expression for each of the tens of thousands of commands of a large plan.
 */
const isProgram = (word: string, program: string): boolean =>
  word === program || word.endsWith(`/${program}`);

/** Names of the secret variables a command needs. */
export function secretsOf(command: Command): readonly string[] {
  switch (command.kind) {
    case 'exec':
    case 'restic-init':
    case 'restic-restore-at':
    case 'exec-if-changed':
    case 'svn-stage':
    case 'svn-update-at':
    case 'copy':
    case 'check-copy':
    case 'confirm':
    case 'newest-file':
      return command.env === undefined
        ? NO_SECRETS
        : Object.values(command.env).flatMap((v) => ('secret' in v ? [v.secret] : []));
    case 'private-file':
      return command.parts.flatMap((p) => (typeof p !== 'string' && 'secret' in p ? [p.secret] : []));
    case 'make-dir':
    case 'create-file':
    case 'dir-recover':
    case 'dir-swap':
    case 'check-dump':
    case 'publish-file':
    case 'dir-reload':
    case 'align-mailboxes':
    case 'gitlab-project':
    case 'map-tree':
    case 'apply-modes':
    case 'git-reset-at':
      return NO_SECRETS;
  }
}

/** What most commands need: one array for all of them, never modified. */
const NO_SECRETS: readonly string[] = [];
