import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every file below `dir` whose text holds `needle`. */
export function filesHolding(dir: string, needle: string): string[] {
  const found: string[] = [];
  const visit = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.isFile() && readFileSync(full).includes(needle)) found.push(full);
    }
  };
  visit(dir);
  return found;
}

/**
 * The command lines of every process that show `needle`, their words joined by spaces; with
 * `root`, only those that name it too: a run's own processes, told by its sandbox's path from
 * those of another test file running beside it.
 */
export function commandLinesHolding(needle: string, root = ''): string[] {
  return commandLines()
    .filter((line) => line.includes(needle) && line.includes(root))
    .map((line) => line.replaceAll('\0', ' '));
}

/**
 * Reads the command line of every process (its words NUL-separated) until `done` settles: how
 * many of those reads saw a line that `watched` accepts (the run was watched, not missed), and
 * every line that showed one of `secrets`.
 */
export async function scanCommandLines(
  watched: (line: string) => boolean,
  secrets: readonly string[],
  done: Promise<unknown>,
): Promise<{ scanned: number; leaks: string[] }> {
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  let scanned = 0;
  const leaks: string[] = [];
  while (!finished) {
    const lines = commandLines();
    if (lines.some(watched)) scanned++;
    leaks.push(...lines.filter((line) => secrets.some((secret) => line.includes(secret))));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { scanned, leaks };
}

/** The command line of every process that could be read, its words NUL-separated. */
function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return lines;
}
