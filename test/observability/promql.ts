/**
 * The metric names a PromQL expression reads. Label matchers, grouping clauses, durations and strings
 * are removed first; what remains that is not a function, an operator word or a number is a metric name.
 */
const words = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'histogram_quantile', 'absent', 'absent_over_time',
  'avg_over_time', 'max_over_time', 'min_over_time', 'sum_over_time', 'count_over_time', 'last_over_time',
  'clamp_min', 'clamp_max', 'abs', 'ceil', 'floor', 'round', 'time', 'vector', 'scalar', 'label_replace', 'label_values',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    // Grafana's label_values(metric, label): the second argument is a label.
    .replace(/label_values\(([^,()]*),\s*[a-zA-Z_]\w*\s*\)/g, '$1');
  const names = new Set<string>();
  for (const token of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = token[0];
    if (!words.has(name) && !/^\d/.test(name)) names.add(name);
  }
  return [...names];
}

/** Every sample name a scrape can hold: each family's name, and a histogram's _bucket, _sum and _count. */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram' || type === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}
