import { PARTIALS } from '../../src/backends/bash/compiled-templates.js';
import { renderHelperFile } from '../../src/backends/bash/render.js';
import type { Plan } from '../../src/planner/plan.js';

/**
 * A golden script as its snapshots keep it: the helper files of templates/partials/ that every
 * script shares are kept once each, in snapshots/helpers/, and the case's own snapshot sources
 * them where the script holds them. A change to a helper is then one diff in one file, not the
 * same hunk in every script. The case's snapshot stays a script on its own: bash runs it from any
 * directory, and shellcheck follows its sources (the directive above each names the file, and
 * snapshots/.shellcheckrc lets it follow them without -x);
 * `joinScript` puts the whole script, as users run it, back together.
 */
export interface SplitScript {
  /** The script with a `source` of each shared helper file in its place. */
  readonly own: string;
  /** The shared helper files it holds: file name (in snapshots/helpers/) to text. */
  readonly shared: ReadonlyMap<string, string>;
}

/**
 * The partials a script includes as they are. The header is each script's own; so are its
 * file-wide shellcheck directives, which shellcheck reads as such only before the first command
 * of the file, i.e. before the first `source` line.
 */
const OWN_PARTIALS = new Set(['header', 'file-directives']);
const SHARED_PARTIALS = Object.keys(PARTIALS).filter((name) => !OWN_PARTIALS.has(name));
const MODES: readonly Plan['mode'][] = ['backup', 'restore'];

const marker = (file: string) =>
  `# shellcheck source=SCRIPTDIR/helpers/${file}\nsource "$(dirname -- "\${BASH_SOURCE[0]}")/helpers/${file}" # shared by the golden scripts, kept once\n`;
const MARKER =
  /^# shellcheck source=SCRIPTDIR\/helpers\/([a-z0-9.-]+)\nsource "\$\(dirname -- "\$\{BASH_SOURCE\[0\]\}"\)\/helpers\/\1" # shared by the golden scripts, kept once\n/gm;

/**
 * The name of a partial's text in a run of `mode`, with or without hooks: the partial's, then
 * what of the run changes its text, so that identical texts share one file.
 */
function variantName(partial: string, mode: Plan['mode'], hooks: boolean, text: string): string {
  const otherMode = MODES.find((m) => m !== mode) as Plan['mode'];
  const modeMatters = renderHelperFile(partial, { mode: otherMode, hooks }) !== text;
  const hooksMatters = renderHelperFile(partial, { mode, hooks: !hooks }) !== text;
  const parts = [partial, modeMatters ? mode : '', hooksMatters ? (hooks ? 'hooks' : 'no-hooks') : ''];
  return `${parts.filter((part) => part !== '').join('.')}.sh`;
}

export function splitScript(script: string, mode: Plan['mode']): SplitScript {
  let own = script;
  const shared = new Map<string, string>();
  for (const partial of SHARED_PARTIALS) {
    for (const hooks of [false, true]) {
      const text = renderHelperFile(partial, { mode, hooks });
      const at = own.indexOf(text);
      if (text === '' || at === -1) continue;
      if (own.indexOf(text, at + 1) !== -1)
        throw new Error(
          `partials/${partial} is found twice in the script: its source line would be ambiguous`,
        );
      const file = variantName(partial, mode, hooks, text);
      own = `${own.slice(0, at)}${marker(file)}${own.slice(at + text.length)}`;
      shared.set(file, text);
      break;
    }
  }
  return { own, shared };
}

/** The whole script from a case's snapshot and its helper files, as `read` gives them. */
export function joinScript(own: string, read: (file: string) => string | undefined): string {
  return own.replace(MARKER, (line, file: string) => read(file) ?? line);
}
