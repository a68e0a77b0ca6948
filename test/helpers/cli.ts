import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI (npm test builds it first) with a pinned time zone. */
export function runCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'Europe/Paris', ...env },
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Same, without blocking the test (for concurrency tests). */
export function runCliAsync(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliResult> {
  return runAsync(process.execPath, [CLI, ...args], env);
}

export function runAsync(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, TZ: 'Europe/Paris', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr }),
    );
  });
}

/** A `--log-file` with the time stamp that starts each of its lines removed (checked first). */
export function withoutLogStamps(log: string): string {
  for (const line of log.split('\n').slice(0, -1))
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2} /.test(line))
      throw new Error(`a log line without its time: ${line}`);
  return log.replace(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2} /gm, '');
}
