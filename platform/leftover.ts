import { existsSync, readFileSync, rmSync } from 'node:fs';

export interface Leftover {
  pid: number;
  /** How it ended: it stopped on SIGTERM, or needed SIGKILL. */
  stoppedBy: 'SIGTERM' | 'SIGKILL';
}

/**
 * A process an earlier run left behind, named by its pid file, is stopped, but only once
 * /proc/<pid>/cmdline shows it is the process the pid file is for (`isOurs`): a pid is reused after a
 * reboot or long after, and a stale pid file must never cost an unrelated process its life. A stale or
 * unreadable pid file is removed. Where /proc is missing (not Linux) nothing can be checked, and nothing
 * is stopped. Returns the process stopped, if any.
 */
export async function stopLeftover(pidFile: string, isOurs: (argv: string[]) => boolean, graceMs = 10_000): Promise<Leftover | undefined> {
  if (!existsSync(pidFile) || !existsSync('/proc/self/cmdline')) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const running = Number.isInteger(pid) && pid > 1 && isOurs(commandLine(pid));
  if (!running) {
    rmSync(pidFile, { force: true });
    return undefined;
  }
  let stoppedBy: Leftover['stoppedBy'] = 'SIGTERM';
  signal(pid, 'SIGTERM');
  if (!(await gone(pid, isOurs, graceMs))) {
    stoppedBy = 'SIGKILL';
    signal(pid, 'SIGKILL');
    await gone(pid, isOurs, 5_000);
  }
  rmSync(pidFile, { force: true });
  return { pid, stoppedBy };
}

/** The process's argv, or [] when there is no such process or it is a zombie (whose cmdline is empty). */
export function commandLine(pid: number): string[] {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw ? raw.replace(/\0$/, '').split('\0') : [];
  } catch {
    return [];
  }
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

async function gone(pid: number, isOurs: (argv: string[]) => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isOurs(commandLine(pid))) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}
