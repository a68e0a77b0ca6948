import { readdirSync, readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { Plan } from '../../planner/plan.js';
import { scriptView } from './view-model.js';

const TEMPLATES = new URL('../../../templates/', import.meta.url);
const OPTIONS = { noEscape: true, strict: true } as const;

/**
 * Partials that scripts carry verbatim, the same in each: the prelude (bash checks, shell options)
 * and the helpers in every script, the secrets and dir-reload helpers in those that need them.
 */
export const SHARED_BLOCKS = ['prelude', 'helpers', 'helpers-secrets', 'helpers-dir-reload'] as const;

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

/** One shared block's text, exactly as scripts hold it (the golden test keeps one copy of each). */
export function renderSharedBlock(name: (typeof SHARED_BLOCKS)[number]): string {
  return templates().handlebars.compile(`{{> ${name}}}`, OPTIONS)({});
}
