import { pino } from 'pino';
import { seedDemo } from '../../server/demo.js';
import { loadTemplates } from '../../server/templates.js';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';

/** What `npm start` loads on an empty data folder: po-assist in NA and EMEA, Marco and Sofia departed. */
export async function startDemoStack(): Promise<Stack> {
  const stack = await startStack();
  const logger = pino({ level: 'silent' });
  await loadTemplates(stack.ledger, logger);
  await seedDemo({ client: stack.api.client, taskQueue: stack.config.TEMPORAL_TASK_QUEUE, ledger: stack.ledger }, logger);
  return stack;
}

/** The ids of open exceptions in one region, oldest first, as an unrestricted admin sees them. */
export async function openIn(stack: Stack, region: string): Promise<string[]> {
  const res = await http(`${stack.url}/api/v1/exceptions?status=open&capability=po-assist&region=${region}`, { token: await stack.token('root', 'admin') });
  return (res.body.items as Array<{ id: string }>).map((e) => e.id).reverse();
}
