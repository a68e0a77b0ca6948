import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take minutes (each runs the shared service suites or every fixture, through
 * apply and through the script), slowest first, as measured in a whole run two files at a time
 * (seconds). A fresh clone has no durations cached, and vitest then starts the largest files
 * first: most of these are small files, and one of them started last would leave the other
 * worker idle for most of its length.
 */
const SLOWEST: readonly string[] = [
  'test/e2e/ftp-targets.test.ts', // 494 s
  'test/e2e/webdav-targets.test.ts', // 410 s
  'test/e2e/ftps-targets.test.ts', // 397 s
  'test/parity/parity.test.ts', // 389 s
  'test/e2e/s3-targets.test.ts', // 341 s
  'test/e2e/restic.test.ts', // 288 s
  'test/golden/snapshots.test.ts', // 282 s
  'test/e2e/ssh-targets.test.ts', // 230 s
  'test/e2e/fetch-unreadable.test.ts', // 182 s
];

/** Vitest's order (failed first, then the longest last time, else the largest), the slowest first. */
export default class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = SLOWEST.indexOf(relative(this.ctx.config.root, file.moduleId));
      return index === -1 ? SLOWEST.length : index;
    };
    return sorted
      .map((file, position) => ({ file, position, rank: rank(file) }))
      .sort((a, b) => a.rank - b.rank || a.position - b.position)
      .map(({ file }) => file);
  }
}
