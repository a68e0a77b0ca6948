import type { Command, Word } from './command.js';

/** The tools a command needs on the machine that runs it (listed in the script header). */
export function toolsOf(command: Command): string[] {
  switch (command.kind) {
    case 'exec':
      return [...argvTools(command.argv), ...(command.pipeline ?? []).flatMap(argvTools)];
    case 'make-dir':
      return ['mkdir'];
    case 'create-file':
      return ['rm'];
    case 'dir-recover':
    case 'dir-swap':
      return ['mv'];
    case 'private-file':
      return command.owner === undefined ? [] : ['chown'];
    case 'check-dump':
      return command.completeMark === '' ? ['stat'] : ['stat', 'tail'];
    case 'check-copy':
      return argvTools(command.incoming);
    case 'copy':
      return argvTools(command.incoming).concat(argvTools(command.incomingSum), argvTools(command.copy));
    case 'publish-file':
      return ['sync', 'mv'];
    case 'dir-reload':
      return [
        'chown',
        'mv',
        'sync',
        ...argvTools(command.load),
        ...argvTools(command.stop),
        ...argvTools(command.start),
      ];
    case 'confirm':
      return argvTools(command.preview);
    case 'align-mailboxes':
      return ['mktemp', ...argvTools(command.live)];
    case 'exec-if-changed':
      return [...argvTools(command.probe), ...argvTools(command.run)];
    case 'restic-init':
      return argvTools(command.init);
    case 'restic-restore-at':
      return [...argvTools(command.list), ...argvTools(command.parse)];
    case 'git-reset-at':
      return [...argvTools(command.choose), ...argvTools(command.reset)];
    case 'svn-update-at':
      return [...argvTools(command.list), ...argvTools(command.baseline), ...argvTools(command.update)];
    case 'newest-file':
      return [...argvTools(command.list), ...argvTools(command.get)];
    case 'gitlab-project':
      return argvTools(command.find);
    case 'svn-stage':
      return argvTools(command.svn);
    case 'map-tree':
      return ['find', 'touch', ...argvTools(command.tool)];
    case 'apply-modes':
      return [];
  }
}

/** The program, and what it runs: the tool after `sudo ... --` and `env NAME=VALUE`, ssh of rsync -e. */
function argvTools(argv: readonly Word[]): string[] {
  const first = argv[0];
  if (typeof first !== 'string' || first === '') return [];
  // xargs runs the tool after its `--`.
  if (isProgram(first, 'xargs')) {
    const tool = argv[argv.indexOf('--') + 1];
    return typeof tool === 'string' && tool !== '' ? [first, tool] : [first];
  }
  // A tool run under `timeout --kill-after=S SECONDS`: timeout, then the tool.
  if (first === 'timeout') return [first, ...argvTools(argv.slice(3))];
  // A tool run under k5start (a Kerberos login): k5start, then the tool after its `--`, if any.
  if (isProgram(first, 'k5start')) {
    const end = argv.indexOf('--');
    return end < 0 ? [first] : [first, ...argvTools(argv.slice(end + 1))];
  }
  // Most commands run their tool directly: read the words only when sudo or -e needs them.
  if (first !== 'sudo' && !argv.includes('-e')) return [first];
  const words = argv.map((w) => (typeof w === 'string' ? w : ''));
  const tools = [first];
  if (first === 'sudo') {
    const rest = words.slice(words.indexOf('--') + 1);
    const program = (rest[0] === 'env' ? rest.slice(1) : rest).find(
      (w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w),
    );
    if (program !== undefined && program !== '') tools.push(program);
  }
  // rsync's -e names its remote shell, another tool it starts; other tools' -e is no program
  // (`test -e PATH`, `sed -e SCRIPT`).
  const shell = words.indexOf('-e');
  if (shell > 0 && words[shell + 1] !== undefined && tools.some((t) => /(^|\/)rsync[^/]*$/.test(t)))
    tools.push((words[shell + 1] as string).split(' ')[0] ?? '');
  return tools.filter((t) => t !== '');
}

/**
 * Whether a command's first word runs `program`, by its name or a path to it: compared as text, not
 * matched by a regular expression for each of the tens of thousands of commands of a large plan.
 */
const isProgram = (word: string, program: string): boolean =>
  word === program || word.endsWith(`/${program}`);

/** Names of the secret variables a command needs. */
export function secretsOf(command: Command): string[] {
  switch (command.kind) {
    case 'exec':
    case 'restic-init':
    case 'restic-restore-at':
    case 'exec-if-changed':
    case 'svn-stage':
    case 'svn-update-at':
    case 'copy':
    case 'confirm':
    case 'newest-file':
      return command.env === undefined
        ? []
        : Object.values(command.env).flatMap((v) => ('secret' in v ? [v.secret] : []));
    case 'private-file':
      return command.parts.flatMap((p) => (typeof p !== 'string' && 'secret' in p ? [p.secret] : []));
    case 'make-dir':
    case 'create-file':
    case 'dir-recover':
    case 'dir-swap':
    case 'check-dump':
    case 'check-copy':
    case 'publish-file':
    case 'dir-reload':
    case 'align-mailboxes':
    case 'gitlab-project':
    case 'map-tree':
    case 'apply-modes':
    case 'git-reset-at':
      return [];
  }
}
