import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/reporters/plain-summary.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Local time drives frequencies and variables: pin it so results do not depend on the machine.
    env: { TZ: 'Europe/Paris' },
  },
});
