import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, inject, it } from 'vitest';

/** The lint rule is what keeps workflow code replayable; prove it bites. */
describe('workflow determinism guard', () => {
  // The project's own config; the rule under test reads imports, not types, so no TypeScript program
  // is built for each probe (that took seconds a probe). `npm test` lints the real files with types.
  const eslint = new ESLint({ overrideConfig: tseslint.configs.disableTypeChecked });

  async function lintWorkflowFile(source: string) {
    const file = `workflows/guard-probe-${randomUUID()}.ts`;
    writeFileSync(file, source);
    try {
      const [result] = await eslint.lintFiles([file]);
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

  it('allows @temporalio/workflow, domain/rules/, and types from activities and the rest of domain/', async () => {
    const messages = await lintWorkflowFile(
      [
        "import { sleep } from '@temporalio/workflow';",
        "import type { Activities } from '../activities/index.js';",
        "import type { Role } from '../domain/principal.js';",
        "import { rules } from '../domain/rules/exception.js';",
        'export const probe: [typeof sleep, Activities | undefined, Role | undefined, typeof rules] = [sleep, undefined, undefined, rules];',
        '',
      ].join('\n'),
    );
    expect(messages).toEqual([]);
  });

  it('refuses domain schemas as values in workflows/, since each cached workflow would carry zod', async () => {
    const messages = await lintWorkflowFile(["import { Role } from '../domain/principal.js';", 'export const probe = Role;', ''].join('\n'));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('domain/rules/');
  });

  it('ships a workflow bundle without zod or yaml', () => {
    const bundle = readFileSync(inject('workflowBundlePath'), 'utf8');
    expect(bundle).toContain('exceptionWorkflow');
    expect(bundle.match(/node_modules\/(zod|yaml)\//g) ?? []).toEqual([]);
  });
});
