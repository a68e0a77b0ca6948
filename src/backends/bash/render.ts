import { readdirSync, readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { Plan } from '../../planner/plan.js';
import { scriptView } from './view-model.js';

const TEMPLATES = new URL('../../../templates/', import.meta.url);
const OPTIONS = { noEscape: true, strict: true } as const;

let engine: { handlebars: typeof Handlebars; script: HandlebarsTemplateDelegate } | undefined;

function templates() {
  if (engine !== undefined) return engine;
  const handlebars = Handlebars.create();
  for (const name of readdirSync(new URL('partials/', TEMPLATES))) {
    const partial = readFileSync(new URL(`partials/${name}`, TEMPLATES), 'utf8');
    handlebars.registerPartial(name.replace(/\.hbs$/, ''), partial);
  }
  const outline = readFileSync(new URL('script.sh.hbs', TEMPLATES), 'utf8');
  engine = { handlebars, script: handlebars.compile(outline, OPTIONS) };
  return engine;
}

/** The plan as a bash script: byte-identical for identical plans. */
export function renderBash(plan: Plan, secrets?: ReadonlyMap<string, string>): string {
  return templates().script(scriptView(plan, secrets));
}
