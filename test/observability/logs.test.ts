import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/index.js';
import { createLogger } from '../../platform/logger.js';

/** A stream that keeps what is written, and says whether it is a terminal. */
function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => chunks.join('') };
}

const requestLine = { req: { id: 1, method: 'POST', url: '/api/v1/exceptions/x/claim' }, res: { status: 200 }, responseTime: 12, route: '/api/v1/exceptions/{id}/claim', exceptionId: 'exception:po-assist:PO-1' };

describe('log lines a person can read', () => {
  it('prints one readable line per event on a terminal: time, level, message and the exception', () => {
    const out = sink(true);
    createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'auto' }, 'exception-desk', out.stream).info(requestLine, 'POST /api/v1/exceptions/{id}/claim 200 12ms');
    const line = out.text();
    expect(line.split('\n').filter(Boolean)).toHaveLength(1);
    expect(line).toMatch(/^\S*\[\d\d:\d\d:\d\d\.\d{3}\]\S* \S*INFO\S*: \S*POST \/api\/v1\/exceptions\/\{id\}\/claim 200 12ms/);
    expect(line).toContain('"exceptionId":"exception:po-assist:PO-1"');
    expect(line).not.toContain('hostname');
  });

  it('writes JSON elsewhere, or whenever LOG_FORMAT=json', () => {
    for (const [isTTY, format] of [[false, 'auto'], [true, 'json']] as const) {
      const out = sink(isTTY);
      createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: format }, 'exception-desk', out.stream).info(requestLine, 'claimed');
      const json = JSON.parse(out.text()) as Record<string, unknown>;
      expect(json).toMatchObject({ msg: 'claimed', route: '/api/v1/exceptions/{id}/claim', exceptionId: 'exception:po-assist:PO-1', responseTime: 12, res: { status: 200 } });
    }
  });

  it('refuses an unknown LOG_FORMAT', () => {
    expect(() => loadConfig({ LOG_FORMAT: 'colourful' })).toThrow(ConfigError);
    expect(() => loadConfig({ LOG_FORMAT: 'colourful' })).toThrow(/LOG_FORMAT="colourful"/);
  });
});
