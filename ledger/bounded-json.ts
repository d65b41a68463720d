/** JSON bodies arrive from outside: some nest far deeper than a recursive walk (JSON.stringify) survives. */
export const MAX_NESTING = 64;

/** How deep a parsed JSON value nests, walked without recursion; stops counting past `stopAfter`. */
export function nestingDepth(value: unknown, stopAfter = Infinity): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > stopAfter) return deepest;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/** JSON text of `value` with anything below `limit` levels replaced by a marker, so any body can be stored. */
export function boundedJson(value: unknown, limit = MAX_NESTING): string {
  const cut = (node: unknown, depth: number): unknown => {
    if (node === null || typeof node !== 'object') return node;
    if (depth > limit) return `[nested deeper than ${limit} levels]`;
    if (Array.isArray(node)) return node.map((child) => cut(child, depth + 1));
    return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, cut(child, depth + 1)]));
  };
  return JSON.stringify(nestingDepth(value, limit) > limit ? cut(value, 1) : value) ?? 'null';
}
