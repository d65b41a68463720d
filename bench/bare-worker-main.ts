// The bare-Temporal baseline's worker as a process of its own, for `npm run bench -- --cluster`: on a
// cluster the exception-desk workers are separate processes, so the baseline's are too (same Node, same
// SDK, the SDK's default worker settings, as exception-desk's worker uses by default).
import { NativeConnection, Worker } from '@temporalio/worker';

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: need('TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    namespace: need('TEMPORAL_NAMESPACE'),
    taskQueue: need('BARE_TASK_QUEUE'),
    workflowBundle: { codePath: need('BARE_BUNDLE') },
    // bench/cluster.ts waits until Temporal lists this identity among the queue's pollers.
    identity: `bare-worker/${process.pid}`,
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => worker.shutdown());
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bare worker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
