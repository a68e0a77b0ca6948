import { readFileSync } from 'node:fs';

/**
 * The helper partials are the same in every script: each golden script sources them from
 * snapshots/shared/ instead of carrying them, so a change to a helper shows in one snapshot, not
 * in every case. Sourced, each snapshot is still a script that bash and shellcheck read whole.
 */
export const SHARED_BLOCKS = [
  'helpers-secrets',
  'helpers',
  'helpers-check-copy',
  'helpers-exec-if-changed',
  'helpers-dir-reload',
  'helpers-confirm',
  'helpers-dovecot',
] as const;

const PARTIALS = new URL('../../templates/partials/', import.meta.url);

/** The first line of a shared snapshot: it is sourced by bash, never run on its own. */
export const SHARED_HEADER = '# shellcheck shell=bash\n';

function partial(name: string): string {
  return readFileSync(new URL(`${name}.hbs`, PARTIALS), 'utf8');
}

function sourceLine(name: string): string {
  return `# shellcheck source=shared/${name}.sh\nsource "\${BASH_SOURCE[0]%/*}/shared/${name}.sh"\n`;
}

/** The script with each shared block it carries replaced by a line that sources its snapshot. */
export function splitShared(script: string): { script: string; blocks: Map<string, string> } {
  const blocks = new Map<string, string>();
  let rest = script;
  for (const name of SHARED_BLOCKS) {
    const text = partial(name);
    const at = rest.indexOf(text);
    if (at < 0) continue;
    if (rest.indexOf(text, at + 1) >= 0) throw new Error(`the ${name} block appears twice`);
    blocks.set(name, text);
    rest = `${rest.slice(0, at)}${sourceLine(name)}${rest.slice(at + text.length)}`;
  }
  return { script: rest, blocks };
}

/** The whole script again, from a golden snapshot and the shared snapshots it sources. */
export function joinShared(script: string, shared: (name: string) => string): string {
  let whole = script;
  for (const name of SHARED_BLOCKS) {
    const line = sourceLine(name);
    // A function, not a string: a block may hold `$'`, which a replacement string reads as a pattern.
    if (whole.includes(line)) whole = whole.replace(line, () => shared(name).slice(SHARED_HEADER.length));
  }
  return whole;
}
