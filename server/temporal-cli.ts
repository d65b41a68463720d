import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Pinned: the newest CLI tag whose go.mod has no `replace` directive, so `go install` works. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export type TemporalCli =
  | { kind: 'binary'; path: string; source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go install' }
  /** No binary could be found or built: the SDK downloads one when it starts the server. */
  | { kind: 'sdk-download'; downloadDir: string };

export class TemporalCliError extends Error {
  override name = 'TemporalCliError';
  readonly actionable = true;
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Allow the SDK download fallback (needs the open internet). */
  allowSdkDownload?: boolean;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'exception-desk', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const exe = process.platform === 'win32' ? `${name}.exe` : name;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, exe))) return path.join(dir, exe);
  }
  return undefined;
}

/**
 * Finds the `temporal` binary: TEMPORAL_CLI_PATH, PATH, the per-user cache, a pinned `go install`,
 * and last the SDK's own download. Throws a TemporalCliError with install advice when nothing works.
 */
export async function resolveTemporalCli(options: ResolveOptions = {}): Promise<TemporalCli> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.error(line));

  if (env.TEMPORAL_CLI_PATH) {
    if (isExecutable(env.TEMPORAL_CLI_PATH)) return { kind: 'binary', path: env.TEMPORAL_CLI_PATH, source: 'TEMPORAL_CLI_PATH' };
    throw new TemporalCliError(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file.`);
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return { kind: 'binary', path: fromPath, source: 'PATH' };

  const dir = cacheDir(env);
  const cached = path.join(dir, process.platform === 'win32' ? 'temporal.exe' : 'temporal');
  if (isExecutable(cached)) return { kind: 'binary', path: cached, source: 'cache' };

  const go = onPath('go', env);
  let goFailure: string | undefined;
  if (go) {
    try {
      await goInstall(go, dir, env, log);
      if (isExecutable(cached)) return { kind: 'binary', path: cached, source: 'go install' };
      goFailure = 'go install finished but produced no binary';
    } catch (err) {
      goFailure = (err as Error).message;
    }
    log(`exception-desk: building the Temporal CLI with Go failed: ${goFailure}`);
  }

  if (options.allowSdkDownload ?? true) {
    log('exception-desk: no Temporal CLI found; the Temporal SDK will try to download the dev server.');
    return { kind: 'sdk-download', downloadDir: dir };
  }
  throw new TemporalCliError(installAdvice(goFailure));
}

export function installAdvice(goFailure?: string): string {
  return [
    'exception-desk needs the Temporal CLI (the dev server) and could not find or build it.',
    ...(goFailure ? [`  go install failed: ${goFailure}`] : []),
    'Do one of these, then try again:',
    `  - install Go (https://go.dev/dl) so the project can build it: go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`,
    '  - install the Temporal CLI (https://docs.temporal.io/cli) and put `temporal` on PATH',
    '  - set TEMPORAL_CLI_PATH to an existing temporal binary',
    '  - or set TEMPORAL_ADDRESS to use a Temporal cluster you already run',
  ].join('\n');
}

/** Builds into a private folder and renames into place, so concurrent builders never see half a binary. */
async function goInstall(go: string, dir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const staging = mkdtempSync(path.join(dir, '.build-'));
  const started = Date.now();
  log(
    `exception-desk: building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${dir}. ` +
      'The first build takes several minutes; later runs reuse it.',
  );
  const ticker = setInterval(() => {
    log(`exception-desk: still building the Temporal CLI (${Math.round((Date.now() - started) / 1000)} s)…`);
  }, 30_000);
  try {
    const output = await run(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      ...env,
      GOBIN: staging,
      CGO_ENABLED: '0',
    });
    const exe = process.platform === 'win32' ? 'temporal.exe' : 'temporal';
    if (!isExecutable(path.join(staging, exe))) throw new Error(`no binary produced. ${output.slice(-2000)}`);
    renameSync(path.join(staging, exe), path.join(dir, exe));
    log(`exception-desk: Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s.`);
  } finally {
    clearInterval(ticker);
    rmSync(staging, { recursive: true, force: true });
  }
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${output.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}
