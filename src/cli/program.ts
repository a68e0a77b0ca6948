import { VERSION } from '../install/paths.js';
import { Command, Option } from './commander.js';
import {
  type CommonFlags,
  resolveVerbosity,
  withConfigOptions,
  withOriginalOptions,
  withSelectionOptions,
} from './common-options.js';
import { teeToLogFile } from './log-file.js';
import { ORIGINAL_COMMANDS } from './original-argv.js';
import type { PlanFlags } from './plan-commands.js';

// Each command loads its own modules when it runs: a run that renders nothing never pays for the
// template engine, the ini writer or the executor.
const planCommands = () => import('./plan-commands.js');
const applyCommands = () => import('./apply-command.js');
const planCheck = () => import('./plan-check.js');
const statusCommands = () => import('./status-commands.js');
const checkCommand = () => import('./check-command.js');
const scheduleCommand = () => import('./schedule-command.js');
const pluginsCommands = () => import('./plugins-command.js');

const INCLUDE_SECRETS_HELP = `embed secret values instead of \${POLYARCHIV_SECRET_...} references (--out gets mode 0600)`;
const AT_HELP =
  'restore the newest copy made at or before TIME (ISO-8601 or @EPOCH): a dated archive or mirror, a restic snapshot, a commit of a git or gitlab branch, or a last success';

/**
 * The command line. `capturePlan` parses without running: `plan --check` reads the flags a script
 * was rendered with through the same definitions that rendered it.
 */
export function program(
  run: (code: Promise<number> | number) => void,
  capturePlan?: (flags: PlanFlags) => void,
): Command {
  const root = new Command('polyarchiv')
    .description(
      'Backup orchestrator: plans backups of collect points to backup points, as a script or in-process.',
    )
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', (_root, command) => {
      const flags = command.opts<CommonFlags>();
      resolveVerbosity(flags);
      if (flags.logFile !== undefined && capturePlan === undefined) teeToLogFile(flags.logFile);
    });

  withSelectionOptions(withConfigOptions(root.command('plan')))
    .description('print the plan: a reviewable bash script (default), a text summary or JSON')
    .addOption(
      new Option('--format <format>', 'output format').choices(['bash', 'text', 'json']).default('bash'),
    )
    .option('--out <file>', 'write to FILE instead of standard output')
    .option('--restore', 'plan a restore instead of a backup')
    .option('--from <backup-point>', 'restore from this backup point (default: the most recent success)')
    .option('--at <time>', AT_HELP)
    .option('--include-secrets', INCLUDE_SECRETS_HELP)
    .option(
      '--review',
      'render for review in CI: every selected point as due, no state read, same bytes on every machine (needs --now and --set fqdn=HOST); the script refuses to run',
    )
    .option(
      '--check <script>',
      'render again with the flags recorded in SCRIPT and compare: exit 0 when identical, 1 with a unified diff',
    )
    .action((flags: PlanFlags & { check?: string }, command: Command) => {
      const { check } = flags;
      if (capturePlan !== undefined) capturePlan(flags);
      else if (check !== undefined)
        run(planCheck().then((m) => m.planCheckCommand(check, givenBesideCheck(command))));
      else run(planCommands().then((m) => m.planCommand(flags)));
    });

  const apply = (name: string, description: string) =>
    withSelectionOptions(withConfigOptions(root.command(name)))
      .description(description)
      .option('-D, --dry', 'show what would run; execute, lock, create and record nothing')
      .option('--show-commands', 'print each command before it runs')
      .option('--confirm-commands', 'ask before each command; "n" stops the unit without recording it')
      .option('-j, --jobs <n>', 'run up to N independent units at a time (default: the number of CPUs)')
      .option(
        '-y, --yes',
        'a restore that deletes or overwrites live data goes on without asking (needed without a terminal; POLYARCHIV_YES=1 in the environment says the same)',
      );

  apply('apply', 'run a backup now, or a saved JSON plan')
    .alias('backup')
    .option('-n, --nrpe', 'print one Nagios status line on standard output at the end; exit 0/1/2/3')
    .argument('[planfile]', 'a plan saved with plan --format json --out FILE')
    .action((planFile, flags) => run(applyCommands().then((m) => m.applyCommand(planFile, flags, 'backup'))));

  apply('restore', 'fetch each collect point from its most recent backup point, then restore its sources')
    .option('--from <backup-point>', 'restore from this backup point')
    .option('--at <time>', AT_HELP)
    .action((flags) => run(applyCommands().then((m) => m.applyCommand(undefined, flags, 'restore'))));

  withConfigOptions(root.command('validate'))
    .description('check the configuration only (for CI): exit 0 when valid, 2 otherwise')
    .action((flags) => run(statusCommands().then((m) => m.validateCommand(flags))));

  withSelectionOptions(withConfigOptions(root.command('config')), 'report')
    .description('show points, associations, last success and next due time')
    .option('--show', 'print the configuration normalized (ini)')
    .action((flags) => run(statusCommands().then((m) => m.configCommand(flags))));

  withSelectionOptions(withConfigOptions(root.command('check')), 'report')
    .description(
      'freshness monitoring: 0 fresh, 1 out of date, 2 never succeeded or failed, 3 a state that cannot be judged',
    )
    .option('-n, --nrpe', 'print one Nagios status line first; exit 0/1/2/3')
    .addOption(
      new Option(
        '--format <format>',
        'text (default), json (every point), or prometheus (a node_exporter textfile; exit 0 once written)',
      ).choices(['text', 'json', 'prometheus']),
    )
    .option('--out <file>', 'write the json or prometheus output to FILE, replaced whole (atomically)')
    .action((flags) => run(checkCommand().then((m) => m.checkCommand(flags))));

  withConfigOptions(root.command('schedule'))
    .description('write a systemd service and timer per frequency of the points, or print a cron.d file')
    .option(
      '--systemd <dir>',
      'write NAME-FREQUENCY.service and .timer files into DIR (such as /etc/systemd/system)',
    )
    .option('--cron', 'print an /etc/cron.d file instead')
    .option('--randomized-delay <time>', 'delay each run by a random time up to TIME: seconds, or 30min, 2h')
    .option('--nice <n>', 'run backups with this niceness (-20 to 19), at idle I/O priority', '10')
    .option('--user <name>', 'run backups as this user (default: root)')
    .option('--name <name>', 'prefix of unit names and name of the cron file', 'polyarchiv')
    .option('--polyarchiv <path>', 'the polyarchiv executable to run (default: this node and this CLI)')
    .action((flags) => run(scheduleCommand().then((m) => m.scheduleCommand(flags))));

  withConfigOptions(root.command('plugins'))
    .description('list engines; -v adds their options')
    .option('--markdown', 'print the engine reference as Markdown (used by the README)')
    .option(
      '--sample <engine>',
      'print a sample section for ENGINE, its required options to fill in; a name that several kinds share (archive, git) prints each, headed by its file, and ENGINE.KIND prints one (archive.collect, archive.backup)',
    )
    .action((flags) => run(pluginsCommands().then((m) => m.pluginsCommand(flags))));

  for (const name of ORIGINAL_COMMANDS) {
    const command = root.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (command !== undefined) withOriginalOptions(command);
  }
  return root;
}

/** Every long option of every command: exact spellings are never read as prefixes. */
export function longOptions(root: Command): Set<string> {
  return new Set(
    [root, ...root.commands].flatMap((c) => c.options.flatMap((o) => (o.long === undefined ? [] : [o.long]))),
  );
}

/** The flags given on the command line beside --check, which takes all of them from its script. */
function givenBesideCheck(command: Command): string[] {
  const quiet = new Set(['check', 'verbose', 'quiet', 'verbosity', 'logFile']);
  return command.options
    .filter((o) => !quiet.has(o.attributeName()) && command.getOptionValueSource(o.attributeName()) === 'cli')
    .map((o) => o.long ?? o.flags);
}
