// $ref resolution inside one document (RFC 6901 JSON pointers). References to other files or
// URLs are not followed: the auditor reads only what it was given.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unescapeToken(token: string): string {
  return decodeURIComponent(token).replaceAll('~1', '/').replaceAll('~0', '~');
}

export function escapeToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The value a `#/...` pointer names, or undefined. */
export function resolvePointer(document: Json, ref: string): Json | undefined {
  if (!ref.startsWith('#')) return undefined;
  const pointer = ref.slice(1);
  if (pointer === '') return document;
  if (!pointer.startsWith('/')) return undefined;
  let node: Json | undefined = document;
  for (const raw of pointer.slice(1).split('/')) {
    const token = unescapeToken(raw);
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(token)) return undefined;
      node = node[Number(token)];
    } else if (isObject(node)) {
      node = Object.hasOwn(node, token) ? node[token] : undefined;
    } else {
      return undefined;
    }
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * Follows `$ref` chains until a value without one. Returns undefined for a reference that
 * cannot be resolved or that loops.
 */
export function deref(document: Json, value: Json | undefined): Json | undefined {
  let current = value;
  const seen = new Set<string>();
  while (isObject(current) && typeof current.$ref === 'string') {
    const ref = current.$ref;
    if (seen.has(ref)) return undefined;
    seen.add(ref);
    current = resolvePointer(document, ref);
  }
  return current;
}

/** Every `$ref` in the document with the pointer of where it appears. */
export function collectRefs(document: Json): { at: string; ref: string }[] {
  const found: { at: string; ref: string }[] = [];
  const walk = (node: Json, at: string): void => {
    if (Array.isArray(node)) {
      node.forEach((child, index) => {
        walk(child, `${at}/${index}`);
      });
    } else if (isObject(node)) {
      for (const [key, child] of Object.entries(node)) {
        if (key === '$ref' && typeof child === 'string') found.push({ at, ref: child });
        else walk(child, `${at}/${escapeToken(key)}`);
      }
    }
  };
  walk(document, '#');
  return found;
}
