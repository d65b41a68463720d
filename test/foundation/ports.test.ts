import { describe, expect, it } from 'vitest';
import { freePort } from '../../platform/ports.js';

describe('freePort', () => {
  it('hands out distinct ports below the ephemeral range, even to concurrent callers', async () => {
    const ports = await Promise.all(Array.from({ length: 200 }, () => freePort()));
    expect(new Set(ports).size).toBe(200);
    for (const port of ports) expect(port).toBeLessThan(32_768);
  });
});
