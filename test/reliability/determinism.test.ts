import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as workflows from '../../workflows/index.js';

const HISTORIES_DIR = fileURLToPath(new URL('../histories/', import.meta.url));

/** test/replay/replay.test.ts replays every recorded history; this makes sure none of the workflow types is missing one. */
describe('recorded histories for replay', () => {
  it('cover every workflow type the worker registers', () => {
    const recorded = new Set(
      readdirSync(HISTORIES_DIR)
        .filter((f) => f.endsWith('.json'))
        .map((f) => /"workflowType":\s*\{\s*"name":\s*"(\w+)"/.exec(readFileSync(`${HISTORIES_DIR}${f}`, 'utf8'))?.[1]),
    );
    const registered = Object.keys(workflows).filter((name) => typeof (workflows as Record<string, unknown>)[name] === 'function');
    expect(registered.length).toBeGreaterThan(0);
    expect(registered.filter((name) => !recorded.has(name)), 'workflow types without a recorded history: run npm run record-histories').toEqual([]);
  });
});
