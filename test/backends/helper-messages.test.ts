import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HELPER_LOCALS, messageLayout } from '../../src/backends/bash/message-layout.js';
import { shellWord } from '../../src/backends/bash/shell-word.js';
import { HELPER_MESSAGES, type HelperMessages } from '../../src/backends/helper-messages.js';
import { haveTools } from '../helpers/tools.js';

/** What a careless rendering would print otherwise: quotes, expansions, globs, a newline, an option. */
const AWKWARD = [`it's "q" $(id) \`x\` \\ *`, '$HOME ${PATH} 100%', 'two\nlines', '', '-n'];

/** The expansions a rendered message holds, in order: `${name}`, `${name[index]}` or `$1`. */
const expansionsOf = (text: string) =>
  [...text.matchAll(/\$\{([\w[\]]+)\}|\$(\d)/g)].map((m) => m[1] ?? m[2] ?? '');

describe.runIf(haveTools('bash'))('helper messages', () => {
  const layout = messageLayout();
  const keys = Object.keys(layout) as (keyof HelperMessages)[];

  it.each(AWKWARD)('print in bash what their twins give, each value %j', (awkward) => {
    // Every name gets a value of its own, so that two values swapped would show.
    const names = [...new Set(keys.flatMap((key) => expansionsOf(layout[key])))];
    const valueNamed = (name: string) => `${awkward}<${name}>`;
    // Arrays get an element per name that reads them (a decoy at 0 for the index variables).
    const arrays = new Map<string, string[]>();
    const setup: string[] = [];
    for (const name of names) {
      const element = /^(\w+)\[(\w+)\]$/.exec(name);
      if (element === null) {
        if (!/^\d$/.test(name)) setup.push(`${name}=${shellWord(valueNamed(name))}`);
        continue;
      }
      const [, array = '', index = ''] = element;
      const elements = arrays.get(array) ?? [shellWord('decoy')];
      arrays.set(array, elements);
      if (index === '0') elements[0] = shellWord(valueNamed(name));
      else {
        setup.push(`${index}=${elements.length}`);
        elements.push(shellWord(valueNamed(name)));
      }
    }
    for (const [array, elements] of arrays) setup.push(`${array}=(${elements.join(' ')})`);
    const positional = ['1', '2', '3'].map(valueNamed);
    const say = keys.map((key) => `printf '%s\\0' "${layout[key]}"`);
    const script = `f() {\n${[...setup, ...say].join('\n')}\n}\nf "$@"`;
    const run = spawnSync('bash', ['-c', script, 'bash', ...positional], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const twins = keys.map((key) =>
      (HELPER_MESSAGES[key] as (...words: string[]) => string)(...HELPER_LOCALS[key].map(valueNamed)),
    );
    expect(run.stdout.split('\0').slice(0, -1)).toEqual(twins);
  });

  it('render each value of a message as one expansion', () => {
    for (const key of keys)
      expect([key, expansionsOf(layout[key]).length]).toEqual([key, HELPER_MESSAGES[key].length]);
  });
});
