import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dropGpgHomes, makeGpgHomes } from '../../src/backends/execute/gpg-homes.js';
import { helperCall } from '../../src/backends/helper-calls.js';
import { GPG_UNATTENDED } from '../../src/graph/filter-commands.js';
import { gpgHome } from '../../src/graph/gpg-agents.js';
import { HELPERS } from '../../src/graph/helper-contracts.js';
import { daemonsLeft } from '../helpers/daemons-left.js';
import { partialFile } from '../helpers/partials.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'gpg', 'gpgconf');
const newSandbox = sandboxesPerTest();

/** gpg encrypts a file in the home, as the encrypt filter's does: it talks to the home's agent. */
const encryptArgv = (home: string, dir: string): string[] => [
  'gpg',
  ...GPG_UNATTENDED,
  '--homedir',
  home,
  '--passphrase-file',
  join(dir, 'passphrase'),
  '--symmetric',
  '--output',
  join(dir, 'clear.gpg'),
  '--',
  join(dir, 'clear'),
];

describe.runIf(canRun)('polyarchiv_gpg_home and makeGpgHomes, dropGpgHomes', () => {
  // gpg given by a path with no gpgconf beside it: GnuPG's, from PATH, is used.
  for (const gpg of ['gpg', '/nowhere/gpg'])
    it.each([
      ['a step fails', 'false'],
      ['a signal ends the steps', 'kill -s TERM "${BASHPID}"; sleep 5'],
      ['the steps succeed', ':'],
    ])(`stop the agent of the home and remove it alike when %s (${gpg})`, async (_, end) => {
      for (const backend of ['script', 'executor']) {
        const box = newSandbox('polyarchiv-gpg-home-');
        const work = box.path('work');
        mkdirSync(work);
        writeFileSync(box.path('clear'), 'clear text\n');
        writeFileSync(box.path('passphrase'), 'a passphrase\n');
        const planned = gpgHome(gpg, box.path('to'));
        const home = join(work, planned.home);
        if (backend === 'script') {
          const register = helperCall(HELPERS.gpgHome, { gpgconf: planned.gpgconf, home });
          const encrypt = encryptArgv(home, box.root)
            .map((word) => `'${word}'`)
            .join(' ');
          const run = spawnSync(
            'bash',
            [
              '-c',
              `set -Eeuo pipefail; source "$1"; polyarchiv_cleanup; trap - EXIT; set +e; ( polyarchiv_exit_on_signal; set -e; ${register}; ${encrypt}; ${end} ); exit 0`,
              'bash',
              partialFile('helpers.hbs'),
            ],
            { encoding: 'utf8' },
          );
          expect(run.status, run.stderr).toBe(0);
        } else {
          const homes = await makeGpgHomes([planned], { workDir: work });
          const encrypted = spawnSync(
            encryptArgv(home, box.root)[0] as string,
            encryptArgv(home, box.root).slice(1),
          );
          expect(encrypted.status, encrypted.stderr?.toString()).toBe(0);
          await dropGpgHomes(homes, { workDir: work });
        }
        expect(existsSync(box.path('clear.gpg')), backend).toBe(true);
        expect(daemonsLeft(work), backend).toEqual([]);
        expect(existsSync(home), backend).toBe(false);
      }
    });
});
