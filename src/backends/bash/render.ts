import { createRequire } from 'node:module';
import type { HelperOptions } from 'handlebars';
import { type Plan, type PlanParts, type PlanTail, type PlanUnit, partsOf } from '../../planner/plan.js';
import { OUTLINES, PARTIALS } from './compiled-templates.js';
import { unitRegistration } from './registration-lines.js';
import {
  emptyOutline,
  helperPartialsView,
  outlineUnit,
  scriptView,
  type UnitView,
  unitView,
} from './view-model.js';

/**
 * The units as the units' template walks them (its `each-planned-unit` block): `next` gives the
 * view of the unit the planner finished last (undefined once every unit is planned), `rendered`
 * takes that unit's function, then the planner goes on.
 */
interface PlannedUnits {
  next(): UnitView | undefined;
  rendered(text: string): void;
}

interface Templates {
  /** The outline up to the helpers: header, prelude, secrets, helper functions. */
  readonly head: HandlebarsTemplateDelegate;
  /** Every unit's function, each handed on as it is rendered (`PlannedUnits`). */
  readonly units: HandlebarsTemplateDelegate<{ readonly planned: PlannedUnits }>;
  /** The main part up to the units' lines: the run's hooks, the configuration check. */
  readonly main: HandlebarsTemplateDelegate;
  /** The main part after the units' lines: hooks, the run and its summary. */
  readonly end: HandlebarsTemplateDelegate;
}

/**
 * Handlebars' runtime alone (its CommonJS entry, which has no typings of its own): the templates
 * were compiled at build time (scripts/compile-templates.mjs), so the compiler is never loaded.
 */
const Handlebars = createRequire(import.meta.url)('handlebars/runtime') as typeof import('handlebars');

let engine: Templates | undefined;

function templates(): Templates {
  if (engine !== undefined) return engine;
  const handlebars = Handlebars.create();
  // The units in one template call, whose block renders each (a block has none of the setup a
  // template call repeats); what it walks comes with each call, so no plan's units outlive it.
  handlebars.registerHelper('each-planned-unit', (planned: PlannedUnits, options: HelperOptions) => {
    for (let view = planned.next(); view !== undefined; view = planned.next())
      planned.rendered(options.fn(view));
    return '';
  });
  for (const [name, spec] of Object.entries(PARTIALS))
    handlebars.registerPartial(name, handlebars.template(spec));
  engine = {
    head: handlebars.template(OUTLINES.script),
    units: handlebars.template(OUTLINES.units),
    main: handlebars.template(OUTLINES.main),
    end: handlebars.template(OUTLINES.end),
  };
  return engine;
}

/**
 * One file of templates/partials/ on its own, as bash can source it: the helpers it defines take
 * their argument lines and statuses from the contracts, like in a script. The twin tests run it;
 * given a run's mode and hooks, it is that run's script's text of the file (golden snapshots).
 */
export function renderHelperFile(name: string, run?: Parameters<typeof helperPartialsView>[0]): string {
  const spec = PARTIALS[name.replace(/\.hbs$/, '')];
  if (spec === undefined) throw new Error(`no template partials/${name}`);
  return Handlebars.create().template(spec)(helperPartialsView(run));
}

/** The plan as a bash script: byte-identical for identical plans. */
export function renderBash(plan: Plan, secrets?: ReadonlyMap<string, string>): string {
  return [...scriptPieces(partsOf(plan), () => secrets)].join('');
}

/**
 * Where the units' functions, and their lines of the main part, wait while the units are planned:
 * the script's head, which comes before them, lists what every unit needs (tools, secrets,
 * helpers), so it is known last.
 */
export interface Spool<Piece extends string | Uint8Array = string> {
  add(text: string): void;
  /**
   * What was added, in order, as texts or as their UTF-8 bytes; read once. Bytes are valid until
   * the next piece is asked for (a spool may read each into the same buffer).
   */
  pieces(): Iterable<Piece>;
}

/** A spool in memory. */
export function memorySpool(): Spool {
  const texts: string[] = [];
  return { add: (text) => texts.push(text), pieces: () => texts };
}

/**
 * The script of a plan, handed out piece by piece: each unit's function and its line of the main
 * part are rendered as the unit is planned and wait each in a spool (`spool()` makes one), so that
 * neither the plan nor the view of its units is held whole. `ready` is called once every unit is
 * planned, before the first piece is handed out, with what the plan says after its units; it
 * returns the secret values to embed, if any.
 */
export function scriptPieces(
  parts: PlanParts,
  ready: (tail: PlanTail) => ReadonlyMap<string, string> | undefined,
): Generator<string, void, undefined>;
export function scriptPieces<Piece extends string | Uint8Array>(
  parts: PlanParts,
  ready: (tail: PlanTail) => ReadonlyMap<string, string> | undefined,
  spool: () => Spool<Piece>,
): Generator<string | Piece, void, undefined>;
export function* scriptPieces(
  parts: PlanParts,
  ready: (tail: PlanTail) => ReadonlyMap<string, string> | undefined,
  spool: () => Spool<string | Uint8Array> = memorySpool,
): Generator<string | Uint8Array, void, undefined> {
  const { head, units, main, end } = templates();
  const functions = spool();
  const lines = spool();
  const outline = emptyOutline();
  let next = parts.units.next();
  let index = 0;
  units({
    planned: {
      next: () => (next.done === true ? undefined : unitView(next.value, index)),
      rendered: (text) => {
        // The unit whose view `next` gave: the planner goes on only below.
        const unit = next.value as PlanUnit;
        functions.add(text);
        // A line as it is: a template call of its own would cost Handlebars' setup for each unit.
        lines.add(`${unitRegistration(unit, index)}\n`);
        outlineUnit(outline, unit, index);
        next = parts.units.next();
        index++;
      },
    },
  });
  if (next.done !== true) throw new Error('the units template stopped before the last unit');
  const tail = next.value;
  const view = scriptView(parts.head, tail, outline, ready(tail));
  yield head(view);
  yield* functions.pieces();
  yield main(view);
  yield* lines.pieces();
  yield end(view);
}
