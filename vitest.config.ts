import { defineConfig } from 'vitest/config';
import SlowFirst from './test/runner/slow-first.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/reporters/plain-summary.ts'],
    testTimeout: 60_000,
    // Two files at a time, whatever the machine: one file keeps about one core busy (its runs wait
    // on servers, on rclone's retries, on the disk), so a second file uses what the first leaves.
    // Tests that look at every process (secret-scan.ts) look for a secret, which no process may
    // show, or for their own run's processes, told by its sandbox's path.
    maxWorkers: 2,
    sequence: { sequencer: SlowFirst },
    // In CI, a test that fails is run once more: the machine is shared, and a stall of its own
    // (a minute without progress was seen once, in a test that takes half a second) must not fail
    // the run, while a defect fails both tries. The summary names every test that passed only on
    // its second try, and a command of a test that stalls has the machine's processes printed
    // (test/helpers/cli.ts): a stall is seen and can be looked into.
    retry: process.env.CI === 'true' ? 1 : 0,
    hookTimeout: 60_000,
    // Local time drives frequencies and variables: pin it so results do not depend on the machine.
    env: { TZ: 'Europe/Paris' },
  },
});
