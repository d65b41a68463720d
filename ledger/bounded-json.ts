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

/** A stored JSON text read back: the text itself when it is not JSON, so no view fails on one row. */
export function storedJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A stored JSON object read back; anything else (not JSON, not an object) reads as {}. */
export function storedObject(text: string): Record<string, unknown> {
  const value = storedJson(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A stored JSON array of strings read back (regions, roles, a chain); anything else reads as []. */
export function storedStrings(text: string): string[] {
  const value = storedJson(text);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
