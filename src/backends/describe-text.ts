import { formatOrigin } from '../diag/origin.js';
import { hookLabel, type Plan, type PlanHooks, type PlanUnit } from '../planner/plan.js';
import { commandLine, obscuringLines } from './bash/quote.js';
import { describeSelection } from './describe-selection.js';

/** A Terraform-like summary: one symbol per unit and step, what runs, what is skipped and why. */
export function describeText(plan: Plan): string {
  return [...textPieces(plan)].join('');
}

/** The same summary, handed out one unit at a time (a large plan's text is never held whole). */
export function* textPieces(plan: Plan): Generator<string> {
  const head = [
    `polyarchiv ${plan.mode} plan at ${plan.now}`,
    `configuration: ${plan.configDir} (${plan.inputs.length} files)`,
    `selection: ${describeSelection(plan.selection, plan.mode)}`,
    '',
    'Symbols: + runs, - not run, ! cannot run (a failure)',
    '',
    ...plan.warnings,
    ...(plan.warnings.length > 0 ? [''] : []),
  ];
  yield `${head.join('\n')}\n`;
  let steps = 0;
  for (const unit of plan.units) {
    yield unitText(unit);
    steps += unit.steps.length;
  }
  const tail = liveDataReplaced(plan);
  if (plan.hooks !== undefined) tail.push('Hooks of the run:', ...hooksText(plan.hooks, '  '), '');
  for (const skipped of plan.skipped) {
    tail.push(
      `${skipped.failed ? '!' : '-'} ${skipped.title}: ${skipped.reason}  [${formatOrigin(skipped.origin)}]`,
    );
  }
  if (plan.skipped.length > 0) tail.push('');
  const failed = plan.skipped.filter((s) => s.failed).length;
  tail.push(
    `Plan: ${plan.units.length} to run (${steps} steps), ${plan.skipped.length - failed} not run` +
      (failed > 0 ? `, ${failed} cannot run.` : '.'),
  );
  yield `${tail.join('\n')}\n`;
}

function unitText(unit: PlanUnit): string {
  let text = `+ ${unit.title}  [${formatOrigin(unit.origin)}]\n    ${unit.why}\n`;
  if (unit.requires.length > 0) text += `    only if ${unit.requires.join(', ')} succeeds\n`;
  for (const note of unit.notes ?? []) text += `    ${note}\n`;
  unit.steps.forEach((step, i) => {
    text += `    ${i + 1}. ${step.action.summary}  [${formatOrigin(step.action.origin)}]\n`;
    for (const command of step.commands) {
      for (const line of obscuringLines(command)) text += `         $ ${line}\n`;
      text += `         $ ${commandLine(command)}\n`;
    }
  });
  if (unit.record !== undefined) text += `    records ${unit.record.file}\n`;
  for (const line of hooksText(unit.hooks, '    ')) text += `${line}\n`;
  return `${text}\n`;
}

/** Each hook, the events it runs on, then its commands. */
function hooksText(hooks: PlanHooks | undefined, indent: string): string[] {
  return (hooks?.hooks ?? []).flatMap((hook) => [
    `${indent}${hookLabel(hook)} (${hook.engine}) on ${hook.events.join(', ')}`,
    ...hook.steps.flatMap((step) =>
      step.commands.map((command) => `${indent}     $ ${commandLine(command)}`),
    ),
  ]);
}

/** A restore says up front which live data it replaces; the file lists need the fetched copy. */
function liveDataReplaced(plan: Plan): string[] {
  const warnings = plan.units.flatMap((u) =>
    u.steps.flatMap((s) => s.commands.flatMap((c) => (c.kind === 'confirm' ? [c.warning] : []))),
  );
  if (warnings.length === 0) return [];
  return [
    'Live data this restore replaces (it asks before each source; without a terminal it needs --yes):',
    ...warnings.map((warning) => `  ${warning.replace(/:$/, '')}`),
    'The files it deletes or overwrites are listed when it runs, once the copy is fetched and judged;',
    "`polyarchiv restore --dry` lists them against the collect point's copy as it is now.",
    '',
  ];
}
