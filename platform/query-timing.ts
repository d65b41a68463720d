import { performance } from 'node:perf_hooks';
import type { Kysely, KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { metrics } from './metrics.js';

const operations: Record<string, string> = { SelectQueryNode: 'read', InsertQueryNode: 'write', UpdateQueryNode: 'write', DeleteQueryNode: 'write', MergeQueryNode: 'write' };

/**
 * Times every query a Kysely instance runs (exception_desk_ledger_query_duration_seconds{operation}).
 * Kysely hands a plugin each query before it runs and its result after, under the same query id; a
 * query that fails never reaches transformResult, so its start is kept in a WeakMap the id's
 * collection clears.
 */
class QueryTiming implements KyselyPlugin {
  private readonly started = new WeakMap<object, { at: number; operation: string }>();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.started.set(args.queryId, { at: performance.now(), operation: operations[args.node.kind] ?? 'other' });
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const start = this.started.get(args.queryId);
    if (start) metrics.ledgerQuery.observe({ operation: start.operation }, (performance.now() - start.at) / 1000);
    return args.result;
  }
}

/** The same database, its queries timed; destroying either destroys the shared connection. */
export function timedQueries<DB>(db: Kysely<DB>): Kysely<DB> {
  return db.withPlugin(new QueryTiming());
}
