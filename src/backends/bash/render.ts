import { readdirSync, readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { TEMPLATES_DIR } from '../../install/paths.js';
import type { Plan } from '../../planner/plan.js';
import { helperPartialsView, scriptView, unitView } from './view-model.js';

const OPTIONS = { noEscape: true, strict: true } as const;

interface Templates {
  /** The outline up to the helpers: header, prelude, secrets, helper functions. */
  readonly head: HandlebarsTemplateDelegate;
  /** One unit's function. */
  readonly unit: HandlebarsTemplateDelegate;
  /** The main part: the configuration check, one line per unit, the summary. */
  readonly main: HandlebarsTemplateDelegate;
}

let engine: Templates | undefined;

function templates(): Templates {
  if (engine !== undefined) return engine;
  const handlebars = Handlebars.create();
  for (const name of readdirSync(new URL('partials/', TEMPLATES_DIR))) {
    const partial = readFileSync(new URL(`partials/${name}`, TEMPLATES_DIR), 'utf8');
    handlebars.registerPartial(name.replace(/\.hbs$/, ''), partial);
  }
  const compile = (name: string) =>
    handlebars.compile(readFileSync(new URL(name, TEMPLATES_DIR), 'utf8'), OPTIONS);
  engine = { head: compile('script.sh.hbs'), unit: compile('unit.sh.hbs'), main: compile('main.sh.hbs') };
  return engine;
}

/**
 * One file of templates/partials/ on its own, as bash can source it: the helpers it defines take
 * their argument lines and statuses from the contracts, like in a script. The twin tests run it.
 */
export function renderHelperFile(name: string): string {
  const text = readFileSync(new URL(`partials/${name}`, TEMPLATES_DIR), 'utf8');
  return Handlebars.create().compile(text, OPTIONS)(helperPartialsView());
}

/** The plan as a bash script: byte-identical for identical plans. */
export function renderBash(plan: Plan, secrets?: ReadonlyMap<string, string>): string {
  return [...bashPieces(plan, secrets)].join('');
}

/**
 * The same script, handed out one unit at a time: a plan of thousands of units never has its
 * whole script, nor the view of every unit, in memory at once.
 */
export function* bashPieces(plan: Plan, secrets?: ReadonlyMap<string, string>): Generator<string> {
  const { head, unit, main } = templates();
  const view = scriptView(plan, secrets);
  yield head(view);
  for (const [index, planUnit] of plan.units.entries()) yield unit(unitView(planUnit, index));
  yield main(view);
}
