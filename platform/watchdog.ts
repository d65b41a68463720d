import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * A POSIX sh between us and the child: it starts the child in the background and waits for it, while
 * a reader blocks on fd 3, one end of a pipe whose other end only we hold. However we die (kill -9
 * included) the kernel closes our end; the reader sees EOF and stops the child, with SIGKILL after the
 * grace period. Node cannot set PR_SET_PDEATHSIG, and the shell stays the child's parent, so the pid it
 * signals cannot have been reused. SIGTERM to the shell is passed on to the child. umask 077: whatever
 * the child creates is its owner's alone. The pid file is written (atomically) while the child runs.
 */
const SCRIPT = `
umask 077
"$@" 3<&- &
child=$!
if [ -n "$WATCHDOG_PID_FILE" ]; then echo "$child" > "$WATCHDOG_PID_FILE.tmp" && mv -f "$WATCHDOG_PID_FILE.tmp" "$WATCHDOG_PID_FILE"; fi
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
(read -r _ <&3; kill -TERM "$child" 2>/dev/null; sleep "$WATCHDOG_GRACE_S"; kill -KILL "$child" 2>/dev/null) >/dev/null 2>&1 &
reader=$!
while :; do
  wait "$child"; status=$?
  kill -0 "$child" 2>/dev/null || break
done
kill "$reader" 2>/dev/null
if [ -n "$WATCHDOG_PID_FILE" ] && [ "$(cat "$WATCHDOG_PID_FILE" 2>/dev/null)" = "$child" ]; then rm -f "$WATCHDOG_PID_FILE"; fi
exit "$status"
`;

export interface WatchedOptions {
  /** Where the child's own pid is kept while it runs (removed when it exits under the watchdog). */
  pidFile?: string;
  /** Seconds between SIGTERM and SIGKILL once we are gone. */
  graceSeconds?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Spawns `command` so that it never outlives this process. Its stdout and stderr are pipes, as with
 * spawn's 'pipe'; `child.pid` is the watchdog's (signal it to stop the child). Its own process group,
 * so Ctrl-C in a terminal reaches only us and we decide when the child stops.
 */
export function spawnWatched(command: string, args: string[], options: WatchedOptions = {}): ChildProcess {
  const child = spawn('/bin/sh', ['-c', SCRIPT, 'watchdog', command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: true,
    cwd: options.cwd,
    env: { ...(options.env ?? process.env), WATCHDOG_PID_FILE: options.pidFile ?? '', WATCHDOG_GRACE_S: String(options.graceSeconds ?? 10) },
  });
  // Our end of the lifeline: never written to; drained so the child's 'close' is not held up by it.
  const lifeline = child.stdio[3] as Socket | null;
  lifeline?.on('error', () => undefined);
  lifeline?.resume();
  return child;
}
