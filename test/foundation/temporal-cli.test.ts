import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDir, resolveTemporalCli, TemporalCliError } from '../../server/temporal-cli.js';

function fakeBinary(dir: string, name = 'temporal') {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\necho fake\n');
  chmodSync(file, 0o755);
  return file;
}

describe('Temporal CLI resolver', () => {
  const sandbox = () => mkdtempSync(path.join(os.tmpdir(), 'cli-resolver-'));
  const quiet = () => undefined;

  it('prefers TEMPORAL_CLI_PATH over everything else', async () => {
    const root = sandbox();
    const explicit = fakeBinary(path.join(root, 'explicit'));
    fakeBinary(path.join(root, 'bin'));
    const cli = await resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: explicit, PATH: path.join(root, 'bin') }, log: quiet });
    expect(cli).toEqual({ kind: 'binary', path: explicit, source: 'TEMPORAL_CLI_PATH' });
  });

  it('refuses a TEMPORAL_CLI_PATH that is not executable, naming it', async () => {
    await expect(resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: '/nonexistent/temporal' }, log: quiet })).rejects.toThrow(
      /TEMPORAL_CLI_PATH=\/nonexistent\/temporal is not an executable/,
    );
  });

  it('uses a temporal found on PATH before the cache', async () => {
    const root = sandbox();
    const onPath = fakeBinary(path.join(root, 'bin'));
    fakeBinary(cacheDir({ XDG_CACHE_HOME: path.join(root, 'cache') }));
    const cli = await resolveTemporalCli({ env: { PATH: path.join(root, 'bin'), XDG_CACHE_HOME: path.join(root, 'cache') }, log: quiet });
    expect(cli).toEqual({ kind: 'binary', path: onPath, source: 'PATH' });
  });

  it('uses the per-user cache, keyed by the pinned version, outside the clone', async () => {
    const root = sandbox();
    const env = { PATH: path.join(root, 'empty'), XDG_CACHE_HOME: path.join(root, 'cache') };
    const cached = fakeBinary(cacheDir(env));
    expect(cacheDir(env)).toContain('temporal-cli-v1.5.1');
    expect(await resolveTemporalCli({ env, log: quiet })).toEqual({ kind: 'binary', path: cached, source: 'cache' });
  });

  it('reports a failed go install, then explains what to install instead of a stack trace', async () => {
    const root = sandbox();
    const bin = path.join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'go'), '#!/bin/sh\necho "go: module lookup disabled" >&2\nexit 1\n');
    chmodSync(path.join(bin, 'go'), 0o755);
    const lines: string[] = [];
    const env = { PATH: bin, XDG_CACHE_HOME: path.join(root, 'cache'), HOME: root };
    const attempt = resolveTemporalCli({ env, log: (l) => lines.push(l), allowSdkDownload: false });
    await expect(attempt).rejects.toBeInstanceOf(TemporalCliError);
    const message = await attempt.catch((err: Error) => err.message);
    expect(message).toContain('go install failed');
    expect(message).toContain('module lookup disabled');
    expect(message).toContain('TEMPORAL_CLI_PATH');
    expect(lines.some((l) => l.includes('building the Temporal CLI v1.5.1'))).toBe(true);
  });

  it('falls back to the SDK download when neither a binary nor Go is there', async () => {
    const root = sandbox();
    const env = { PATH: path.join(root, 'empty'), XDG_CACHE_HOME: path.join(root, 'cache') };
    const cli = await resolveTemporalCli({ env, log: quiet });
    expect(cli.kind).toBe('sdk-download');
  });
});
