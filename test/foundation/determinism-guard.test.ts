import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The lint rule is what keeps workflow code replayable; prove it bites. */
describe('workflow determinism guard', () => {
  async function lintWorkflowFile(source: string) {
    const file = `workflows/guard-probe-${randomUUID()}.ts`;
    writeFileSync(file, source);
    try {
      const [result] = await new ESLint().lintFiles([file]);
      return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
    } finally {
      rmSync(file, { force: true });
    }
  }

  it('refuses Node built-ins and activity code at run time in workflows/', async () => {
    const messages = await lintWorkflowFile(
      [
        "import { readFileSync } from 'node:fs';",
        "import { createActivities } from '../activities/index.js';",
        'export const probe = [readFileSync, createActivities];',
        '',
      ].join('\n'),
    );
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain('node:fs');
    expect(messages[1]).toContain('activities');
  });

  it('allows @temporalio/workflow, domain/ and activity types', async () => {
    const messages = await lintWorkflowFile(
      [
        "import { sleep } from '@temporalio/workflow';",
        "import type { Activities } from '../activities/index.js';",
        "import { Role } from '../domain/principal.js';",
        'export const probe: [typeof sleep, Activities | undefined, typeof Role] = [sleep, undefined, Role];',
        '',
      ].join('\n'),
    );
    expect(messages).toEqual([]);
  });
});
