import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { CLI, processList, watchAsync } from './cli.js';
import type { Sandbox } from './sandbox.js';

/**
 * A dump tool that says where it runs, then waits: long enough to kill or interrupt a run while
 * it holds its collect point's lock. It records its pid and the private option file it was given.
 */
export const slowDump = (box: Sandbox, seconds: number): string =>
  waitingDump(box, 'slow-dump', `sleep ${seconds}`);

/**
 * A dump tool like slowDump's that waits for the file `go` in the sandbox instead of a time, then
 * dumps: a test does what it must while the run waits, then lets it end.
 */
export const gatedDump = (box: Sandbox): string =>
  waitingDump(box, 'gated-dump', `while [ ! -e '${box.path('go')}' ]; do sleep 0.05; done`);

function waitingDump(box: Sandbox, name: string, wait: string): string {
  box.write({
    [name]: `#!/bin/sh
for word in "$@"; do
  case $word in --defaults-extra-file=*) printf '%s' "\${word#*=}" > '${box.path('private-file.path')}' ;; esac
done
printf '%s' "$$" > '${box.path('dump.pid')}'
${wait}
printf -- '-- dump\n-- Dump completed\n'
`,
  });
  chmodSync(box.path(name), 0o755);
  return box.path(name);
}

/**
 * A dump tool that, like rsync, takes a moment to stop on SIGTERM or SIGINT (its waiting child
 * stops at once): it writes `stopped` once it has, so a test can tell whether a run waited for it.
 */
export function slowToStopDump(box: Sandbox): string {
  const path = box.path('slow-to-stop-dump');
  box.write({
    'slow-to-stop-dump': `#!/bin/sh
stop() { sleep 1; printf 'stopped' > '${box.path('dump.stopped')}'; exit 20; }
trap stop TERM INT
printf '%s' "$$" > '${box.path('dump.pid')}'
sleep 60 &
wait
`,
  });
  chmodSync(path, 0o755);
  return path;
}

export function isLocked(lock: string): boolean {
  return existsSync(lock) && spawnSync('flock', ['--nonblock', lock, 'true']).status !== 0;
}

/** Whether a process runs (a zombie waiting for its parent to reap it does not). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Kills what a test started: the process group of `pid` (a run's tools are leaders of their own). */
export function killGroupOf(pid: number): void {
  if (!isAlive(pid)) return;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** What each run started by startRun and not yet ended has written to its standard error. */
const running = new Map<ChildProcess, { what: string; stderr: () => string }>();

/**
 * Waits up to 60 s. A condition that never came says why when it can: what the runs still going
 * have printed, and the machine's processes with what each waits on in the kernel.
 */
export async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const runs = [...running.values()].map((run) => `${run.what} has printed:\n${run.stderr()}`);
  throw new Error(
    [`timed out waiting for ${what}`, ...runs, `the machine's processes:\n${processList()}`].join('\n'),
  );
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/**
 * Starts a run in the background; `exited` settles when it ends and its output is closed, `died`
 * as soon as the process itself is gone (tools that outlive it may keep its output open).
 */
export function startRun(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): { child: ChildProcess; exited: Promise<Exit>; died: Promise<NodeJS.Signals | null> } {
  const child = spawn(command, args, {
    env: { ...process.env, TZ: 'Europe/Paris', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const what = `${command} ${args.join(' ')}`;
  running.set(child, { what, stderr: () => stderr });
  const ended = watchAsync(what);
  const exited = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => {
      running.delete(child);
      ended();
      resolve({ code, signal, stderr });
    }),
  );
  const died = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_, signal) => resolve(signal)),
  );
  return { child, exited, died };
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Processes whose command line names `root`: the run's tools (rsync, tar), the script's units. */
export function toolsUnder(root: string): number[] {
  return processes((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(root));
}

/** Processes with a file open under `root`: a compressor writing an archive, any tool holding the lock. */
function openersUnder(root: string): number[] {
  return processes((pid) =>
    readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${root}/`);
      } catch {
        return false;
      }
    }),
  );
}

function processes(matches: (pid: string) => boolean): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((pid) => {
      try {
        return matches(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

/**
 * Kills a run as a power cut would: its tools first (each runs in a process group of its own, so
 * that a killed run keeps its lock while they finish), then the run's own group, then whatever
 * still has a file open under `root` (slower to find, so found last).
 */
export async function killRun(child: ChildProcess, root: string): Promise<void> {
  const done =
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => child.on('exit', resolve));
  killAll(toolsUnder(root));
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {
    // Already finished: the kill came after the run.
  }
  await done;
  killAll(openersUnder(root));
  for (let i = 0; i < 200 && [...toolsUnder(root), ...openersUnder(root)].length > 0; i++) await sleep(10);
}

/**
 * Starts a backup (apply, or the script at `backup.sh`) in its own process group, to be killed
 * whole. Its temporary files go into the sandbox: what a run killed with SIGKILL leaves there (the
 * script's work directory) goes with the sandbox, not into the machine's TMPDIR.
 */
export function startBackup(box: Sandbox, how: 'apply' | 'script', args: readonly string[]): ChildProcess {
  const [command, argv] =
    how === 'apply' ? [process.execPath, [CLI, 'backup', ...args]] : ['bash', [box.path('backup.sh')]];
  const tmp = box.path('tmp');
  mkdirSync(tmp, { recursive: true });
  return spawn(command, argv, { stdio: 'ignore', detached: true, env: { ...process.env, TMPDIR: tmp } });
}

/**
 * Runs a command from a shell on a terminal of its own, as a login or an ssh session does: the
 * shell leads the session, the command runs in its foreground process group with the terminal as
 * its input, until `hangUp` closes the terminal's other side as a closed window or a dropped ssh
 * connection does. The kernel then sends SIGHUP to the shell, which dies of it, and then to the
 * command's whole process group. `printed` is what was printed on the terminal so far; `exited`
 * settles with the command's exit status (128 + the signal's number if one ended it), reaped as
 * an orphan once the shell is gone, and what it printed before the hang-up.
 */
export function startOnTerminal(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): { hangUp: () => void; printed: () => string; exited: Promise<{ status: number; output: string }> } {
  const terminal = `
import ctypes, os, pty, re, select, sys
# Orphans (the command, once its shell died) become this process's children, to be reaped here.
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
pid, master = pty.fork()
if pid == 0:
    os.execvp('bash', ['bash', '-c', '"$@" < /dev/tty & echo "command:$!"; wait "$!"', 'bash'] + sys.argv[1:])
output = b''
watched = [master, 0]
while True:
    ready = select.select(watched, [], [])[0]
    if master in ready:
        try:
            read = os.read(master, 65536)
        except OSError:
            read = b''
        output += read
        sys.stdout.buffer.write(read)
        sys.stdout.flush()
        if read == b'':
            watched = [0]
    if 0 in ready:
        break
os.close(master)
command = int(re.search(rb'command:(\\d+)', output).group(1))
status = None
while True:
    try:
        reaped, raw = os.wait()
    except ChildProcessError:
        break
    if reaped == command:
        status = os.waitstatus_to_exitcode(raw)
print('\\n' + str(128 - status if status < 0 else status))
`;
  const child = spawn('python3', ['-c', terminal, command, ...args], {
    env: { ...process.env, TZ: 'Europe/Paris', ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  const ended = watchAsync(`${command} ${args.join(' ')} on a terminal`);
  const exited = new Promise<{ status: number; output: string }>((resolve, reject) =>
    child.on('close', (code) => {
      ended();
      const last = stdout.lastIndexOf('\n', stdout.length - 2);
      if (code === 0) resolve({ status: Number(stdout.slice(last + 1)), output: stdout.slice(0, last) });
      else reject(new Error(`the terminal's python3 exited with ${code}:\n${stdout}`));
    }),
  );
  return { hangUp: () => child.stdin?.end(), printed: () => stdout, exited };
}
