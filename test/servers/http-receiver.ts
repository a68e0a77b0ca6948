import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { destroyProcess } from './server-process.js';

/** A request as the receiver recorded it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface HttpReceiver {
  readonly port: number;
  /** Every request received so far, in order. */
  requests(): ReceivedRequest[];
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./http-receiver-main.mjs', import.meta.url));

/** Starts the receiver (http-receiver-main.mjs) on a free loopback port. */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-http-receiver-'));
  const log = join(dir, 'requests.jsonl');
  const child: ChildProcess = spawn(process.execPath, [MAIN, log], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the HTTP receiver exited with ${code}`)));
  });
  return {
    port,
    requests: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => JSON.parse(line) as ReceivedRequest)
        : [],
    stop: () => destroyProcess(child, dir),
  };
}
