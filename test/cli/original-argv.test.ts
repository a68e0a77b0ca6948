import { describe, expect, it } from 'vitest';
import { normalizeArgv } from '../../src/cli/original-argv.js';

const shape = { knownLongOptions: new Set(['--config', '--show', '--format', '--only-collect-points']) };
const norm = (line: string) => normalizeArgv(line.split(' ').filter(Boolean), shape);

describe('the original command lines, put in commander order', () => {
  it.each([
    ['-C /etc/pa --force backup', ['backup', '-C', '/etc/pa', '--force']],
    ['-C backup backup', ['backup', '-C', 'backup']],
    ['-fC /etc/pa backup', ['backup', '-fC', '/etc/pa']],
    ['-fC/etc/pa -n backup', ['backup', '-fC/etc/pa', '-n']],
    ['--config=/etc/pa check', ['check', '--config=/etc/pa']],
    ['--verbosity 0 --log-file plan backup', ['backup', '--verbosity', '0', '--log-file', 'plan']],
    ['--only-collect-points a b -f backup', ['backup', '--only-collect-points', 'a', 'b', '-f']],
    ['-C d -- backup', ['backup', '-C', 'd', '--']],
    ['backup --only-collect-points a b', ['backup', '--only-collect-points', 'a', 'b']],
  ])('%s', (line, args) => {
    expect(norm(line).args).toEqual(args);
    expect(norm(line).command).toBe(args[0]);
  });

  it('finds no command where argparse found none', () => {
    expect(norm('-C d --only-collect-points a backup').command).toBeUndefined();
    expect(norm('-C d').command).toBeUndefined();
    expect(norm('').command).toBeUndefined();
  });

  it('expands the prefixes of the original long options that name one option', () => {
    expect(norm('--only-coll=a --skip-c --verbosi 2 --nr backup').args).toEqual([
      'backup',
      '--only-collect-points=a',
      '--skip-collect',
      '--verbosity',
      '2',
      '--nrpe',
    ]);
    // Ambiguous (--config, --confirm-commands), or exact options of polyarchiv: left as written.
    expect(norm('plan --conf x --show --form json').args).toEqual([
      'plan',
      '--conf',
      'x',
      '--show',
      '--form',
      'json',
    ]);
  });
});
