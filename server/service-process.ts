import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { stopLeftover, type Leftover } from '../platform/leftover.js';
import { spawnWatched } from '../platform/watchdog.js';

/** One long-running program of a local cluster (PostgreSQL, a Temporal service, an API, a worker). */
export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Its stdout and stderr, appended (0600). */
  logFile: string;
  /** Its own pid while it runs (the watchdog keeps it), for kill -9 and for the next start to find a leftover. */
  pidFile: string;
  /** Seconds between SIGTERM and SIGKILL when its launcher dies. */
  graceSeconds?: number;
}

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** False when it stopped without being asked to: a crash, or a kill -9 from outside. */
  expected: boolean;
}

export interface ServiceProcess {
  spec: ServiceSpec;
  /** The program's own pid (not its watchdog's), once the watchdog has written it. */
  pid(): number | undefined;
  running(): boolean;
  exited: Promise<ServiceExit>;
  /** A signal to the program itself (SIGKILL: as a crash would), then waits until it is gone. */
  kill(signal?: NodeJS.Signals): Promise<ServiceExit>;
  /** A polite stop (`signal` to the program, SIGTERM by default), SIGKILL to its process group after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ServiceExit>;
  /** The last few kilobytes of its output, for an error message. */
  tail(): string;
  /** Called with each chunk of its output. */
  onOutput(listener: (text: string) => void): void;
}

/**
 * Starts `spec` under the watchdog (platform/watchdog.ts): it never outlives the process that started
 * it, kill -9 included. Its output goes to its log file, not to our terminal.
 */
export function startService(spec: ServiceSpec): ServiceProcess {
  const child = spawnWatched(spec.command, spec.args, { env: spec.env, cwd: spec.cwd, pidFile: spec.pidFile, graceSeconds: spec.graceSeconds ?? 10 });
  const log = createWriteStream(spec.logFile, { flags: 'a', mode: 0o600 });
  let tail = '';
  const listeners: Array<(text: string) => void> = [];
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    const text = chunk.toString();
    tail = (tail + text).slice(-4000);
    for (const listener of listeners) listener(text);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let asked = false;
  let ownPid: number | undefined;
  const exited = new Promise<ServiceExit>((resolve) => {
    child.on('error', (err) => (tail += `\n${err.message}`));
    child.on('close', (code, signal) => {
      log.end();
      resolve({ code, signal, expected: asked });
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const pid = () => {
    if (ownPid !== undefined || gone()) return ownPid;
    try {
      const read = Number(readFileSync(spec.pidFile, 'utf8').trim());
      if (Number.isInteger(read) && read > 1) ownPid = read;
    } catch {
      // not written yet
    }
    return ownPid;
  };
  /** The pid file appears a moment after spawn; a signal sent before it would reach only the watchdog. */
  const pidSoon = async () => {
    for (let i = 0; i < 50 && pid() === undefined && !gone(); i++) await new Promise((r) => setTimeout(r, 100));
    return pid();
  };
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  const service: ServiceProcess = {
    spec,
    pid,
    running: () => !gone(),
    exited,
    async kill(signal = 'SIGKILL') {
      const target = await pidSoon();
      if (target !== undefined && !gone()) process.kill(target, signal);
      return exited;
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (gone()) return exited;
      asked = true;
      const target = await pidSoon();
      if (target !== undefined) {
        try {
          process.kill(target, signal);
        } catch {
          // already gone
        }
      } else {
        child.kill('SIGTERM');
      }
      const force = setTimeout(() => signalGroup('SIGKILL'), timeoutMs);
      const exit = await exited;
      clearTimeout(force);
      return exit;
    },
    tail: () => tail,
    onOutput: (listener) => void listeners.push(listener),
  };
  return service;
}

/**
 * A program an earlier launcher left running on this spec's pid file (the launcher and its watchdog
 * both killed at once) is stopped first, but only when its command line is this spec's and, for
 * programs whose command line is shared (node), `environment` entries match too. `argv`: the program's
 * own command line where the spec starts it through another (setpriv execs the server).
 */
export function stopLeftoverService(spec: ServiceSpec, options: { environment?: string[]; argv?: string[] } = {}): Promise<Leftover | undefined> {
  if (!existsSync(spec.pidFile)) return Promise.resolve(undefined);
  const pid = Number(readFileSync(spec.pidFile, 'utf8').trim());
  const wanted = options.argv ?? [spec.command, ...spec.args];
  const environment = options.environment ?? [];
  return stopLeftover(spec.pidFile, (argv) => {
    if (argv.length !== wanted.length || argv.some((a, i) => a !== wanted[i])) return false;
    if (!environment.length) return true;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      return environment.every((entry) => env.includes(entry));
    } catch {
      return false;
    }
  });
}
