import { assertNever } from '../../graph/action.js';
import {
  type ChildErrors,
  type Command,
  DUMP_END_BYTES,
  type Explanation,
  type Word,
} from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import {
  type CallLayout,
  COMMAND_PER_LINE,
  helperCall,
  ONE_LINE,
  quotedHelperCall,
} from '../helper-calls.js';
import { afterAssignments, envAssignments, secretPartWords, wordText } from './run-words.js';
import { shellWord } from './shell-word.js';

/**
 * A command shown in the text plan after `prefix`: the lines a long helper call is continued on
 * come two columns deeper than the call, as in the script, not at the script's column, where they
 * would read as lines of their own.
 */
export function shownCommand(prefix: string, command: Command): string {
  let continued = layoutAfter.get(prefix.length);
  if (continued === undefined) {
    continued = { ...COMMAND_PER_LINE, indent: ' '.repeat(prefix.length + 2) };
    layoutAfter.set(prefix.length, continued);
  }
  return `${prefix}${laidOutCommand(command, continued)}`;
}

/** The layouts after each prefix's width: a text plan shows thousands of commands after a few. */
const layoutAfter = new Map<number, CallLayout>();

/**
 * A command on one line, for a run's output (a dry run, --show-commands), where every line
 * starts with `polyarchiv: ` and a continued line would not.
 */
export function commandOnOneLine(command: Command): string {
  return laidOutCommand(command, ONE_LINE);
}

/**
 * The shell line of a Command. The model does all quoting here; templates only lay lines out.
 * Secrets become `${POLYARCHIV_SECRET_...:?}` references, so the script never holds their value.
 */
export function commandLine(command: Command): string {
  return laidOutCommand(command, COMMAND_PER_LINE);
}

/** argv run by polyarchiv_child_errors, which shows what a program it starts wrote into `childErrors`. */
function withChildErrors(argv: readonly Word[], childErrors: ChildErrors | undefined): readonly Word[] {
  if (childErrors === undefined) return argv;
  return [
    HELPERS.childErrors.name,
    { prefix: '', workFile: childErrors.workFile },
    childErrors.prefix,
    ...argv,
  ];
}

/** Where a command whose error output waits until it ends keeps its status for the helper. */
const TOOL_STATUS = 'polyarchiv_tool_status';

const NO_WORDS: readonly string[] = [];

/** `line` then each word quoted, a space before each but at the line's start. */
function wordsAfter(line: string, words: readonly Word[]): string {
  let grown = line;
  for (const word of words) grown = joined(grown, wordText(word));
  return grown;
}

const joined = (line: string, part: string): string => (line === '' ? part : `${line} ${part}`);

/** `perLine`: how a helper call that carries several long commands is laid out. */
function laidOutCommand(command: Command, perLine: CallLayout): string {
  switch (command.kind) {
    case 'exec': {
      // Built in one pass, without a list of words or a callback: plans of thousands of units
      // render this line for every command, most without an environment or explanations.
      const env = command.env === undefined ? NO_WORDS : envAssignments(command.env);
      let line = env.length === 0 ? '' : env.join(' ');
      line = wordsAfter(
        line,
        command.childErrors === undefined ? command.argv : withChildErrors(command.argv, command.childErrors),
      );
      if (command.stdin !== undefined) line = joined(line, `< ${wordText(command.stdin)}`);
      // The script runs under pipefail: a pipe fails when either of its programs fails.
      if (command.pipeline !== undefined)
        for (const stage of command.pipeline) {
          line = joined(line, '|');
          for (const word of env) line = `${line} ${word}`;
          line = wordsAfter(line, stage);
        }
      if (command.stdout !== undefined) line = joined(line, `> ${wordText(command.stdout)}`);
      if (command.cwd !== undefined) line = `(cd -- ${shellWord(command.cwd)} && ${line})`;
      if (command.errorsUntilEnd !== undefined) {
        const explanations = quotedExplanations(command.explains ?? []);
        const errors = wordText({ prefix: '', workFile: command.errorsUntilEnd });
        // The status kept aside: the helper runs after a success too, to show what the tool said.
        const ran = command.pipeline === undefined ? line : `{ ${line}; }`;
        line = `${TOOL_STATUS}=0; ${ran} 2> ${errors} || ${TOOL_STATUS}=$?; ${helperCall(HELPERS.explainErrors, { status: `"\${${TOOL_STATUS}}"`, errors, explanations })}`;
      } else if (command.explains !== undefined)
        line = `${line} || ${helperCall(HELPERS.explain, { status: '"$?"', explanations: quotedExplanations(command.explains) })}`;
      if (command.alsoSucceedsOn !== undefined)
        line = `${line} || ${helperCall(HELPERS.tolerate, { status: '"$?"', tolerated: String(command.alsoSucceedsOn) })}`;
      if (command.cleanupOnFailure === undefined) return line;
      return `${line} || ${helperCall(HELPERS.afterFailure, { status: '"$?"', cleanup: command.cleanupOnFailure.map(wordText) })}`;
    }
    case 'make-dir':
      return helperCall(HELPERS.makeDir, { path: shellWord(command.path) });
    case 'create-file':
      return helperCall(HELPERS.createFile, { path: shellWord(command.path) });
    case 'dir-recover':
      return helperCall(HELPERS.dirRecover, {
        target: shellWord(command.target),
        previous: shellWord(command.previous),
      });
    case 'dir-swap':
      return helperCall(HELPERS.dirSwap, {
        staging: shellWord(command.staging),
        target: shellWord(command.target),
        previous: shellWord(command.previous),
      });
    case 'private-file':
      return helperCall(HELPERS.privateFile, {
        work_file: shellWord(command.workFile),
        owner: shellWord(command.owner ?? ''),
        parts: command.parts.flatMap(secretPartWords),
      });
    case 'check-dump':
      return helperCall(HELPERS.checkDump, {
        partial: shellWord(command.partial),
        previous: shellWord(command.previous),
        percent: String(command.maxShrinkPercent),
        on_suspicious: command.onSuspicious,
        mark: shellWord(command.completeMark),
        end_bytes: String(DUMP_END_BYTES),
      });
    case 'check-copy':
      return afterAssignments(
        command.env,
        quotedHelperCall(
          HELPERS.checkCopy,
          {
            // Written out, as in the copy's call below: spread from one object, these words cost a
            // plan of 6,000 copies a quarter more memory and time (bench/planning.mjs).
            percent: String(command.maxShrinkPercent),
            allow: allowShrinkWord(command.allowShrink),
            what: shellWord(command.what),
            incoming: command.incoming,
            previous: command.previous,
            otherwise: command.otherwise ?? [],
          },
          ONE_LINE,
          wordText,
        ),
      );
    case 'copy':
      return afterAssignments(
        command.env,
        quotedHelperCall(
          HELPERS.copy,
          {
            percent: String(command.maxShrinkPercent),
            allow: allowShrinkWord(command.allowShrink),
            what: shellWord(command.what),
            key: shellWord(command.figuresKey ?? ''),
            measured: shellWord(command.measuredPart ?? ''),
            unreadable: shellWord(command.unreadable ?? ''),
            old_files: String(command.recorded?.files ?? "''"),
            old_bytes: String(command.recorded?.bytes ?? "''"),
            incoming_prints: command.incomingListing === true ? 'listing' : 'stats',
            make_dir: shellWord(command.makeDir ?? ''),
            explanations: printedWords(command.explains ?? []),
            incoming_run: command.incoming,
            target_run: command.previous,
            copy_run: command.copy,
          },
          perLine,
          wordText,
        ),
      );
    case 'publish-file':
      return helperCall(HELPERS.publish, {
        partial: shellWord(command.partial),
        file: shellWord(command.file),
      });
    case 'dir-reload':
      return quotedHelperCall(
        HELPERS.dirReload,
        {
          target: shellWord(command.target),
          previous: shellWord(command.previous),
          input: shellWord(command.input),
          stop_origin: shellWord(command.stopOrigin),
          stop: command.stop,
          start: command.start,
          load: command.load,
        },
        ONE_LINE,
        wordText,
      );
    case 'confirm':
      return afterAssignments(
        command.env,
        quotedHelperCall(
          HELPERS.confirm,
          {
            warning: shellWord(command.warning),
            explanations: printedWords(command.explains ?? []),
            preview: command.preview,
          },
          ONE_LINE,
          wordText,
        ),
      );
    case 'align-mailboxes':
      return quotedHelperCall(
        HELPERS.dovecotAlign,
        {
          copy_dir: shellWord(command.copyDir),
          socket: shellWord(command.socket),
          users: wordText({ prefix: '', workFile: command.users }),
          mask: shellWord(command.mask),
          mailbox: shellWord(command.mailbox),
          selects: shellWord(command.selects),
          lacking: shellWord(command.lacking),
          live: command.live,
          copy: command.copy,
        },
        ONE_LINE,
        wordText,
      );
    case 'exec-if-changed':
      return [
        ...envAssignments(command.env),
        quotedHelperCall(
          HELPERS.execIfChanged,
          {
            message: shellWord(command.unchanged),
            unreadable: shellWord(command.unreadable ?? ''),
            explanations: printedWords(command.explains ?? []),
            probe: command.probe,
            run: command.run,
          },
          ONE_LINE,
          wordText,
        ),
        ...(command.stdin === undefined ? [] : [`< ${wordText(command.stdin)}`]),
      ].join(' ');
    case 'svn-stage':
      return afterAssignments(
        command.env,
        quotedHelperCall(
          HELPERS.svnStage,
          {
            working_copy: shellWord(command.workingCopy),
            targets: wordText(command.targets),
            svn: command.svn,
          },
          ONE_LINE,
          wordText,
        ),
      );
    case 'svn-update-at':
      return afterAssignments(
        command.env,
        quotedHelperCall(
          HELPERS.svnUpdateAt,
          {
            at: shellWord(command.at),
            not_after: String(command.notAfter),
            property: shellWord(command.property),
            none: shellWord(command.none),
            unreadable: shellWord(command.unreadable ?? ''),
            input: command.input === undefined ? "''" : wordText(command.input),
            target: shellWord(command.target),
            list: command.list,
            baseline: command.baseline,
            update: command.update,
          },
          perLine,
          wordText,
        ),
      );
    case 'restic-init':
      return afterAssignments(
        command.env,
        quotedHelperCall(
          HELPERS.resticInit,
          {
            message: shellWord(command.exists),
            explanations: printedWords(command.explains),
            probe: withChildErrors(command.probe, command.childErrors),
            init: withChildErrors(command.init, command.childErrors),
          },
          ONE_LINE,
          wordText,
        ),
      );
    case 'restic-restore-at':
      return afterAssignments(
        command.env,
        quotedHelperCall(
          HELPERS.resticRestoreAt,
          {
            not_after: command.notAfter === undefined ? "''" : String(command.notAfter),
            recorded: command.recorded === undefined ? "''" : String(command.recorded),
            recorded_missing: shellWord(command.recordedMissing ?? ''),
            none: shellWord(command.none),
            unlisted: shellWord(command.unlisted),
            unreadable: shellWord(command.unreadable),
            explanations: printedWords(command.explains),
            list: withChildErrors(command.list, command.childErrors),
            parse: command.parse,
            files: withChildErrors(command.files, command.childErrors),
            every: withChildErrors(command.every, command.childErrors),
            restore: withChildErrors(command.restore, command.childErrors),
          },
          perLine,
          wordText,
        ),
      );
    case 'git-reset-at':
      return quotedHelperCall(
        HELPERS.gitResetAt,
        {
          none: shellWord(command.none),
          choose: command.choose,
          reset: command.reset,
        },
        perLine,
        wordText,
      );
    case 'newest-file':
      return afterAssignments(
        command.env,
        quotedHelperCall(
          HELPERS.newestFile,
          {
            pattern: shellWord(command.pattern),
            path_group: String(command.pathGroup),
            order: shellWord(command.order.join(' ')),
            not_after: shellWord(command.notAfter),
            none: shellWord(command.none),
            unlisted: shellWord(command.unlisted ?? ''),
            unreadable: shellWord(command.unreadable ?? ''),
            prefix: shellWord(command.prefix),
            shown_prefix: shellWord(command.shownPrefix),
            explanations: printedWords(command.explains ?? []),
            list: command.list,
            after: command.after,
            get: command.get,
          },
          perLine,
          wordText,
        ),
      );
    case 'gitlab-project':
      return quotedHelperCall(
        HELPERS.gitlabProject,
        {
          project: shellWord(command.project),
          token_option: shellWord(command.tokenOption),
          answer: wordText(command.answer),
          namespace_id: wordText(command.namespaceId),
          find: command.find,
          namespace: command.namespace,
          create: command.create,
        },
        ONE_LINE,
        wordText,
      );
    case 'map-tree':
      return quotedHelperCall(
        HELPERS.mapTree,
        {
          from: shellWord(command.from),
          to: shellWord(command.to),
          hold: shellWord(command.hold),
          tool: command.tool,
          excludes: command.excludes,
        },
        ONE_LINE,
        wordText,
      );
    case 'apply-modes':
      return helperCall(HELPERS.applyModes, {
        manifest: shellWord(command.manifest),
        tree: shellWord(command.tree),
      });
    default:
      return assertNever(command);
  }
}

/** How a guarded copy's helper is told whether --allow-shrink was given. */
const allowShrinkWord = (allowed: boolean): string => (allowed ? 'yes' : 'no');

/**
 * The words of the helpers' explanations, quoted, a status (or `other`) then its message; a text
 * the tool prints is told from a status by its `~`.
 */
function quotedExplanations(explains: readonly Explanation[]): string[] {
  const words: string[] = [];
  for (const e of explains)
    words.push(shellWord(e.printed === undefined ? String(e.status) : `~${e.printed}`), shellWord(e.message));
  return words;
}

/** The explanations of texts a tool prints, as polyarchiv_explain_printed reads them. */
function printedWords(explains: readonly Explanation[]): string[] {
  const words: string[] = [];
  for (const e of explains) if (e.printed !== undefined) words.push(`~${e.printed}`, e.message);
  return words;
}
