import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Spawn options that give a shell command its own process group on POSIX, so that everything it
 * starts (the shell, the scorer, the scorer's own children) can be stopped together. Without it,
 * killing `sh -c "…"` leaves its children running and holding our pipes open, and the CLI never exits.
 */
export const OWN_PROCESS_GROUP = { detached: process.platform !== 'win32', windowsHide: true } as const;

/**
 * Sends `signal` to the child and everything it started: the whole process group on POSIX (see
 * OWN_PROCESS_GROUP), `taskkill /T` on Windows, which has no groups to signal. A tree that is
 * already gone is not an error.
 */
export function killProcessTree(child: ChildProcess, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined) return;
  if (process.platform === 'win32') {
    const killer = spawn('taskkill', ['/pid', String(pid), '/T', ...(signal === 'SIGKILL' ? ['/F'] : [])], {
      stdio: 'ignore',
      windowsHide: true,
    });
    killer.on('error', () => child.kill(signal));
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is empty (everything already exited); the leader itself may still be a zombie.
    child.kill(signal);
  }
}

/** True once the child has exited (its pipes may still be open if it left children behind). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}
