import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the samples of a text exposition (comments and blank lines skipped). */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Debian's prometheus package ships promtool; tests that need it skip, saying so, without it. */
export const promtool = (() => {
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? 'promtool' : undefined;
})();
if (!promtool) console.warn('promtool is not installed (apt-get install prometheus): the promtool checks skip.');

const run = promisify(execFile);

/** Runs promtool; resolves with its exit code and output rather than throwing on a non-zero exit. */
export async function runPromtool(args: string[], input?: string): Promise<{ code: number; output: string }> {
  if (input !== undefined) {
    return new Promise((resolve) => {
      const child = execFile(promtool!, args, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }));
      child.stdin!.end(input);
    });
  }
  return run(promtool!, args).then(
    ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: Number(err.code ?? 1), output: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
  );
}
