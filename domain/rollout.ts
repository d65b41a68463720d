import { z } from 'zod';
import { validateTemplate, type CapabilityTemplate, type TemplateError } from './capability.js';

/** A rollout region code, e.g. NA, EMEA, APAC, LATAM, UK-IE. */
export const Region = z.string().regex(/^[A-Z][A-Z0-9-]{1,15}$/, 'expected an upper-case region code such as EMEA or UK-IE');
export type Region = z.infer<typeof Region>;

export type OverlayResult =
  | { ok: true; effective: CapabilityTemplate; changed: string[] }
  | { ok: false; errors: TemplateError[] };

type Tree = Record<string, unknown>;

// Keys that could reach Object.prototype through a naive merge, whatever the merge does today.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(value: unknown): value is Tree {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function matches(pattern: string[], path: readonly string[]): boolean {
  return pattern.length <= path.length && pattern.every((segment, i) => segment === '*' || segment === path[i]);
}

function forbiddenKeys(value: unknown, path: string[]): TemplateError[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => forbiddenKeys(item, [...path, String(i)]));
  if (!isPlainObject(value)) return [];
  return Object.keys(value).flatMap((key) =>
    FORBIDDEN_KEYS.has(key)
      ? [{ path: [...path, key].join('.'), message: `'${key}' is not allowed as a key` }]
      : forbiddenKeys(value[key], [...path, key]),
  );
}

/** Objects recurse; arrays, scalars, empty objects and objects at an exact adaptable pattern are replaced whole. */
function leaves(value: Tree, path: string[], patterns: string[][]): Array<{ path: string[]; value: unknown }> {
  return Object.entries(value).flatMap(([key, child]) => {
    const at = [...path, key];
    const exact = patterns.some((pattern) => pattern.length === at.length && matches(pattern, at));
    if (isPlainObject(child) && Object.keys(child).length > 0 && !exact) return leaves(child, at, patterns);
    return [{ path: at, value: child }];
  });
}

function setIn(tree: Tree, [key, ...rest]: string[], value: unknown): Tree {
  if (key === undefined) return tree;
  const child = tree[key];
  const next = rest.length === 0 ? value : setIn(isPlainObject(child) ? child : {}, rest, value);
  return { ...tree, [key]: next };
}

/** Applies a region's overrides to a core template, allowing only keys the template declares adaptable. */
export function applyOverlay(core: CapabilityTemplate, overlay: unknown): OverlayResult {
  if (!isPlainObject(overlay)) return { ok: false, errors: [{ path: '', message: 'overlay must be a mapping of template keys to values' }] };
  const forbidden = forbiddenKeys(overlay, []);
  if (forbidden.length > 0) return { ok: false, errors: forbidden };

  const patterns = core.adaptable.map((pattern) => pattern.split('.'));
  const applied = leaves(overlay, [], patterns);
  const adaptableKeys = core.adaptable.length > 0 ? core.adaptable.join(', ') : '(none)';
  const blocked = applied
    .filter((leaf) => !patterns.some((pattern) => matches(pattern, leaf.path)))
    .map((leaf) => ({ path: leaf.path.join('.'), message: `not adaptable in this template; adaptable keys: ${adaptableKeys}` }));
  if (blocked.length > 0) return { ok: false, errors: blocked };

  const merged = applied.reduce((tree, leaf) => setIn(tree, leaf.path, leaf.value), core as Tree);
  const validated = validateTemplate(merged);
  if (!validated.ok) return validated;
  return { ok: true, effective: validated.template, changed: applied.map((leaf) => leaf.path.join('.')) };
}
