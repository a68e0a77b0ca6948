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

/** The command lines of every process that show `needle`. */
export function commandLinesHolding(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`);
      if (line.includes(needle)) found.push(line.toString('utf8').replaceAll('\0', ' '));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return found;
}

/**
 * Reads the command line of every process until `done` settles: how many of those reads saw
 * `marker` (the run was watched, not missed) and every command line that showed `secret`.
 */
export async function scanCommandLines(
  marker: string,
  secret: string,
  done: Promise<unknown>,
): Promise<{ scanned: number; leaks: string[] }> {
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  let scanned = 0;
  const leaks: string[] = [];
  while (!finished) {
    if (commandLinesHolding(marker).length > 0) scanned++;
    leaks.push(...commandLinesHolding(secret));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { scanned, leaks };
}
