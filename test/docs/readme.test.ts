import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { engineReferenceMarkdown } from '../../src/cli/plugins-command.js';
import { runCli } from '../helpers/cli.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const COMMANDS = ['plan', 'apply', 'restore', 'validate', 'config', 'check', 'schedule', 'plugins'];

describe('README', () => {
  it('opens with exactly the two commands: run the example, run the tests', () => {
    const block = /^# polyarchiv\n\n```sh\n([\s\S]*?)```/.exec(README)?.[1] ?? '';
    const commands = block
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.replace(/\s+#.*$/, ''));
    expect(commands).toEqual(['npm ci && npm run example', 'npm test']);
  });

  it('carries the engine reference generated from the option schema', () => {
    const section = /<!-- engines:begin[^\n]*-->\n([\s\S]*?)<!-- engines:end -->/.exec(README)?.[1];
    expect(section).toBe(engineReferenceMarkdown());
  });

  it.each(COMMANDS)('documents every option of %s', (command) => {
    const help = runCli([command, '--help']).stdout;
    const flags = [...help.matchAll(/(--[a-z][a-z-]+)/g)].map((m) => m[1]).filter((f) => f !== '--help');
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of new Set(flags)) expect(README, `${command} ${flag}`).toContain(flag);
  });
});

describe('examples', () => {
  const examples = readdirSync(new URL('../../examples/', import.meta.url)).sort();

  it.each(examples)('examples/%s is a valid configuration', (name) => {
    const result = runCli([
      'validate',
      '-C',
      `examples/${name}`,
      '--set',
      'root=/tmp/polyarchiv-example',
      '--set',
      'data=/tmp/data',
    ]);
    expect(result.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
    expect(result.code).toBe(0);
  });

  it.each(examples.filter((name) => name !== 'quickstart'))('the README documents examples/%s', (name) => {
    expect(README).toContain(`examples/${name}/`);
  });
});
