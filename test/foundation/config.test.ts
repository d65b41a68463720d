import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/index.js';

// node with the tsx loader, as `npm start` runs it, without npx and the tsx CLI's extra process.
const run = promisify(execFile);

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, TEMPORAL_PORT: 7233, TEMPORAL_UI_PORT: 8233, TEMPORAL_NAMESPACE: 'default' });
    expect(config.DATA_DIR).toMatch(/\/data$/);
  });

  it('names every bad variable and its problem', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', TEMPORAL_ADDRESS: 'no port here', AUTH_JWT_SECRET: 'short' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT="eighty"');
    expect(message).toContain('TEMPORAL_ADDRESS="no port here": expected host:port');
    expect(message).toContain('AUTH_JWT_SECRET');
    expect(message).toContain('at least 32');
  });

  it('turns e-mail on only with a valid SMTP_URL and a From address, and refuses mail settings without it', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(loadConfig({ SMTP_URL: 'smtps://desk:s3cret@mail.example.com:465', SMTP_FROM: 'Exception desk <desk@example.com>' })).toMatchObject({ SMTP_URL: 'smtps://desk:s3cret@mail.example.com:465' });
    const bad = problems({ SMTP_URL: 'http://desk:s3cret@mail.example.com', SMTP_FROM: 'desk@example.com' });
    expect(bad).toContain('SMTP_URL="http://desk:***@mail.example.com": expected smtp://');
    expect(bad).not.toContain('s3cret'); // a password never reaches the log
    expect(problems({ SMTP_URL: 'mail.example.com:25', SMTP_FROM: 'desk@example.com' })).toContain('SMTP_URL="mail.example.com:25": expected smtp://');
    expect(problems({ SMTP_URL: 'smtp://mail.example.com' })).toContain('SMTP_FROM="": is required with SMTP_URL');
    expect(problems({ SMTP_URL: 'smtp://mail.example.com', SMTP_FROM: 'not an address' })).toContain('SMTP_FROM="not an address": expected an address');
    expect(problems({ SMTP_FROM: 'desk@example.com' })).toContain('SMTP_FROM="desk@example.com": is set, yet SMTP_URL is unset');
    expect(problems({ SMTP_DIGEST_HOUR: '7' })).toContain('SMTP_DIGEST_HOUR="7": is set, yet SMTP_URL is unset');
    expect(problems({ SMTP_URL: 'smtp://mail.example.com', SMTP_FROM: 'desk@example.com', SMTP_DIGEST_HOUR: '24' })).toContain('SMTP_DIGEST_HOUR="24"');
  });

  it('fails npm start with a clear message and no stack trace', async () => {
    const failure = await run(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env: { ...process.env, TEMPORAL_PORT: '99999' } }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('exception-desk could not start');
    expect(failure?.stderr).toContain('TEMPORAL_PORT="99999"');
    expect(failure?.stderr).not.toMatch(/^\s+at /m);
  });
});
