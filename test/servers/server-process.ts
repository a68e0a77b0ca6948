import type { ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { removeTree } from '../helpers/remove-tree.js';

// What the servers of the suite share: their port, their log, their readiness, their stop and removal.

/**
 * Stops a server started by the suite with SIGTERM and waits for it to exit. A process that has
 * exited already (with a status, or killed by a signal) emits no other `exit`: it is not waited for.
 */
export async function stopChild(running: ChildProcess | undefined): Promise<void> {
  if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    running.once('exit', () => resolve());
    running.kill('SIGTERM');
  });
}

/** Stops a server, then removes its directory whatever happened. */
export async function destroyServer(server: { stop(): Promise<void> }, dir: string): Promise<void> {
  try {
    await server.stop();
  } finally {
    removeTree(dir);
  }
}

/** The same for a server that is one process the suite started. */
export const destroyProcess = (child: ChildProcess, dir: string): Promise<void> =>
  destroyServer({ stop: () => stopChild(child) }, dir);

/**
 * A server's log, written to a file of its directory. Never a pipe: while a test blocks in
 * spawnSync, nothing drains a pipe, and a server that logs each connection would fill it and stop
 * in the middle of a transfer.
 */
export function serverLog(dir: string, name: string): { readonly fd: number; read(): string } {
  const file = join(dir, name);
  const fd = openSync(file, 'a');
  return { fd, read: () => (existsSync(file) ? readFileSync(file, 'utf8') : '') };
}

/**
 * Resolves once the port accepts connections; rejects if the server exits or after 30 s. Servers
 * start in a `beforeAll`, whose failure fails every test of its suite: the wait allows for a
 * loaded machine.
 */
export async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${child.spawnfile} exited (${child.exitCode}): ${log()}`);
    if (await accepts(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${child.spawnfile} did not listen on 127.0.0.1:${port}: ${log()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A loopback port that was free a moment ago, for a server to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}
