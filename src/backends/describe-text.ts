import { counted } from '../counted.js';
import { formatOrigin, type Origin } from '../diag/origin.js';
import { unitScratch } from '../graph/scratch.js';
import {
  describeUnits,
  hookLabel,
  type Plan,
  type PlanHooks,
  type PlanParts,
  type PlanUnit,
  partsOf,
} from '../planner/plan.js';
import { shownCommand } from './bash/quote.js';
import { obscuringLines } from './bash/run-words.js';
import { describeSelection } from './describe-selection.js';

/** A Terraform-like summary: one symbol per unit and step, what runs, what is skipped and why. */
export function describeText(plan: Plan): string {
  return [...textPieces(partsOf(plan))].join('');
}

/**
 * The same summary, handed out one unit at a time as each is planned: a large plan's text is never
 * held whole, nor is the plan. What is only known once every unit is planned (the warnings,
 * what is not run, the counts) comes after the units, as Terraform ends its plans.
 */
export function* textPieces(parts: PlanParts): Generator<string> {
  const { head } = parts;
  const lines = [
    `polyarchiv ${head.mode} plan at ${head.now}`,
    `configuration: ${head.configDir} (${counted(head.inputs.length, 'file')})`,
    `selection: ${describeSelection(head.selection, head.mode)}`,
    '',
    'Symbols: + runs, - not run, ! cannot run (a failure)',
    '',
  ];
  yield `${lines.join('\n')}\n`;
  let units = 0;
  let steps = 0;
  const replaced: string[] = [];
  let listedOnServers = false;
  const plan = yield* describeUnits(parts, (unit) => {
    units++;
    steps += unit.steps.length;
    for (const step of unit.steps)
      for (const command of step.commands)
        if (command.kind === 'confirm') {
          replaced.push(command.warning);
          listedOnServers ||= command.env !== undefined;
        }
    return unitText(unit);
  });
  const tail = liveDataReplaced(replaced, listedOnServers);
  if (plan.hooks !== undefined) tail.push('Hooks of the run:', ...hooksText(plan.hooks, '  '), '');
  for (const skipped of plan.skipped) {
    tail.push(
      `${skipped.failed ? '!' : '-'} ${skipped.title}: ${skipped.reason}  [${formatOrigin(skipped.origin)}]`,
    );
  }
  if (plan.skipped.length > 0) tail.push('');
  if (plan.warnings.length > 0) tail.push(...plan.warnings, '');
  const failed = plan.skipped.filter((s) => s.failed).length;
  tail.push(
    `Plan: ${units} to run (${counted(steps, 'step')}), ${plan.skipped.length - failed} not run` +
      (failed > 0 ? `, ${failed} cannot run.` : '.'),
  );
  yield `${tail.join('\n')}\n`;
}

/** Where a step's command lines start, under its number. */
const COMMAND_PREFIX = '         $ ';

function unitText(unit: PlanUnit): string {
  let text = `+ ${unit.title}  [${originText(unit.origin)}]\n    ${unit.why}\n`;
  if (unit.requires.length > 0) text += `    only if ${unit.requires.join(', ')} succeeds\n`;
  for (const note of unit.notes ?? []) text += `    ${note}\n`;
  unit.steps.forEach((step, i) => {
    text += `    ${i + 1}. ${step.action.summary}  [${originText(step.action.origin)}]\n`;
    for (const command of step.commands) {
      for (const line of obscuringLines(command)) text += `${COMMAND_PREFIX}${line}\n`;
      text += `${shownCommand(COMMAND_PREFIX, command)}\n`;
    }
  });
  // Said once: a failed step's command lines do not show that its partials go with it.
  const scratch = unitScratch(unit.steps);
  if (scratch.length > 0) text += `    removes at its end, whatever its outcome: ${scratch.join(', ')}\n`;
  if (unit.record !== undefined) text += `    records ${unit.record.file}\n`;
  if (unit.hooks !== undefined) for (const line of hooksText(unit.hooks, '    ')) text += `${line}\n`;
  return `${text}\n`;
}

/**
 * An origin as text, kept for the origins seen last: the steps of a unit and the units of one
 * point share theirs, and a large plan shows tens of thousands. Emptied when full.
 */
const originTexts = new Map<Origin, string>();
const ORIGIN_TEXTS_KEPT = 64;

function originText(origin: Origin): string {
  let text = originTexts.get(origin);
  if (text === undefined) {
    if (originTexts.size >= ORIGIN_TEXTS_KEPT) originTexts.clear();
    text = formatOrigin(origin);
    originTexts.set(origin, text);
  }
  return text;
}

/** Each hook, the events it runs on, then its commands. */
function hooksText(hooks: PlanHooks | undefined, indent: string): string[] {
  return (hooks?.hooks ?? []).flatMap((hook) => [
    `${indent}${hookLabel(hook)} (${hook.engine}) on ${hook.events.join(', ')}`,
    ...hook.steps.flatMap((step) =>
      step.commands.map((command) => shownCommand(`${indent}     $ `, command)),
    ),
  ]);
}

/**
 * A restore says which live data it replaces; the file lists need the fetched copy, and those of
 * servers reached through rclone (`onServers`) reach the server with its secrets.
 */
function liveDataReplaced(warnings: readonly string[], onServers: boolean): string[] {
  if (warnings.length === 0) return [];
  return [
    'Live data this restore replaces (it asks before each source; without a terminal it needs --yes):',
    ...warnings.map((warning) => `  ${warning.replace(/:$/, '')}`),
    'The files it deletes or overwrites are listed when it runs, once the copy is fetched and judged;',
    "`polyarchiv restore --dry` lists them against the collect point's copy as it is now.",
    ...(onServers
      ? [
          'On WebDAV, FTP and S3 servers, the list is a dry run of the push, reaching the server with its secrets.',
        ]
      : []),
    '',
  ];
}
