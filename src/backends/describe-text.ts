import { formatOrigin } from '../diag/origin.js';
import type { Plan } from '../planner/plan.js';
import { commandLine } from './bash/quote.js';
import { describeSelection } from './describe-selection.js';

/** A Terraform-like summary: one symbol per unit and step, what runs, what is skipped and why. */
export function describeText(plan: Plan): string {
  const lines = [
    `polyarchiv ${plan.mode} plan at ${plan.now}`,
    `configuration: ${plan.configDir} (${plan.inputs.length} files)`,
    `selection: ${describeSelection(plan.selection, plan.mode)}`,
    '',
    'Symbols: + runs, - not run, ! cannot run (a failure)',
    '',
    ...plan.warnings,
    ...(plan.warnings.length > 0 ? [''] : []),
  ];
  for (const unit of plan.units) {
    lines.push(`+ ${unit.title}  [${formatOrigin(unit.origin)}]`, `    ${unit.why}`);
    if (unit.requires.length > 0) lines.push(`    only if ${unit.requires.join(', ')} succeeds`);
    unit.steps.forEach((step, i) => {
      lines.push(`    ${i + 1}. ${step.action.summary}  [${formatOrigin(step.action.origin)}]`);
      for (const command of step.commands) lines.push(`         $ ${commandLine(command)}`);
    });
    if (unit.record !== undefined) lines.push(`    records ${unit.record.file}`);
    lines.push('');
  }
  lines.push(...liveDataReplaced(plan));
  for (const skipped of plan.skipped) {
    lines.push(
      `${skipped.failed ? '!' : '-'} ${skipped.title}: ${skipped.reason}  [${formatOrigin(skipped.origin)}]`,
    );
  }
  if (plan.skipped.length > 0) lines.push('');
  const steps = plan.units.reduce((n, u) => n + u.steps.length, 0);
  const failed = plan.skipped.filter((s) => s.failed).length;
  lines.push(
    `Plan: ${plan.units.length} to run (${steps} steps), ${plan.skipped.length - failed} not run` +
      (failed > 0 ? `, ${failed} cannot run.` : '.'),
  );
  return `${lines.join('\n')}\n`;
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
