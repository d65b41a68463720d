import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { registerSearchAttributes } from './dev-server.js';

export interface PreparedNamespace {
  created: boolean;
  /** Search attributes added now (the others were there already). */
  added: string[];
}

/**
 * What a Temporal service needs before exception-desk runs on it: the namespace (the full server creates
 * none; Temporal Cloud's exist already and refuse this call, so only a missing one is created) and the
 * search attributes. Idempotent: `npm run temporal:setup`, the deployment's setup Job and `npm run cluster`.
 */
export async function prepareNamespace(connection: Connection, namespace: string, retentionDays = 30): Promise<PreparedNamespace> {
  let created = false;
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    // 5 = NOT_FOUND
    if ((err as { code?: number }).code !== 5) throw err;
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`) });
      created = true;
    } catch (registerErr) {
      // 6 = ALREADY_EXISTS: another setup got there first.
      if ((registerErr as { code?: number }).code !== 6) throw registerErr;
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return { created, added: await registerSearchAttributes(connection, namespace) };
    } catch (err) {
      // A namespace just created (or a server just started) reaches the frontend's cache within seconds;
      // a refusal (7 = PERMISSION_DENIED, 3 = INVALID_ARGUMENT: e.g. Temporal Cloud's own API) will not change.
      const code = (err as { code?: number }).code;
      if (code === 7 || code === 3 || attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}
