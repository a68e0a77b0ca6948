import type { ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { destroyServer, stopChild, waitForPort } from './server-process.js';

/** What a server the tests stop and start again (a server that is down) offers. */
export interface Restartable {
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server, closes its log and removes its directory. */
  destroy(): Promise<void>;
}

/**
 * A server run by `launch` (a process that serves `port` until it is killed), whose log file
 * descriptor `logFd` stays open across restarts, and which lives in `dir`.
 */
export function restartable(
  dir: string,
  port: number,
  logFd: number,
  log: () => string,
  launch: () => ChildProcess,
): Restartable {
  let child: ChildProcess | undefined;
  const server: Restartable = {
    async start() {
      const started = launch();
      child = started;
      await waitForPort(port, started, log);
    },
    async stop() {
      const running = child;
      child = undefined;
      await stopChild(running);
    },
    async destroy() {
      try {
        await destroyServer(server, dir);
      } finally {
        closeSync(logFd);
      }
    },
  };
  return server;
}
