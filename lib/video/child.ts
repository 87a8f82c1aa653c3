/**
 * A spawned video program with its stderr kept (the tail, for error messages) and a reliable
 * way to stop it: every child is killed when the iterator or writer using it is closed, aborted
 * or fails, and when this process exits.
 * Internal: not part of the public API.
 * @module
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { setPriority } from 'node:os';

const STDERR_KEEP = 4096;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

export interface Child {
  proc: ChildProcess;
  /** Last few kB of stderr. */
  stderr(): string;
  /** Resolves with the exit code (or -1 when killed by a signal) once the process has ended. */
  exited: Promise<number>;
  /** Kills the process (SIGKILL) if it still runs, dropping its pipes. */
  kill(): void;
  /** True once the process has ended. */
  readonly done: boolean;
}

/**
 * Starts `program`. `nice` (0..19) lowers its CPU priority: video programs feeding or draining
 * inference should only take CPU the inference leaves idle.
 */
export function spawnChild(program: string, args: readonly string[], stdio: StdioOptions, nice = 0): Child {
  installExitHook();
  const proc = spawn(program, args, { stdio, windowsHide: true });
  live.add(proc);
  if (nice > 0 && proc.pid !== undefined) {
    try {
      setPriority(proc.pid, nice);
    } catch {
      // not permitted here: run at normal priority
    }
  }
  let tail = '';
  let done = false;
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (s: string) => {
    tail = (tail + s).slice(-STDERR_KEEP);
  });
  const exited = new Promise<number>((resolve) => {
    const finish = (code: number): void => {
      done = true;
      live.delete(proc);
      resolve(code);
    };
    proc.once('error', (err) => {
      tail += `\n${err.message}`;
      finish(-1);
    });
    proc.once('close', (code) => finish(code ?? -1));
  });
  return {
    proc,
    stderr: () => tail.trim(),
    exited,
    kill: () => {
      if (done) return;
      // Unread pipes would keep 'close' from firing: drop them with the process.
      for (const stream of proc.stdio) stream?.destroy();
      proc.kill('SIGKILL');
    },
    get done() {
      return done;
    },
  };
}
