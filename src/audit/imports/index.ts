// `--har` and `--postman`: read before any request (a broken file fails fast), turned into an
// OpenAPI 3.1 document once the target's path prefix is known, and merged with a published spec
// when there is one: an operation known from either source is in the one model, each imported
// operation marked `x-rampart-source` in the document.
import { readFile, stat } from 'node:fs/promises';
import { AuditError, errorCode } from '../errors.ts';
import { buildSpec } from '../spec/load.ts';
import type { ApiSpec } from '../spec/load.ts';
import { isObject } from '../spec/refs.ts';
import type { JsonObject } from '../spec/refs.ts';
import { parseHar } from './har.ts';
import { parsePostman } from './postman.ts';
import type { Parsed } from './har.ts';
import { buildDocument, structuralKey } from './openapi.ts';

/** Larger files are refused before they are read. */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

export type ImportKind = 'har' | 'postman';

export interface LoadedImport extends Parsed {
  kind: ImportKind;
  path: string;
}

const WHAT: Record<ImportKind, string> = { har: 'HAR file', postman: 'Postman collection' };

/** `server`: the audited target's origin; a Postman URL that starts with a variable (`{{baseUrl}}`) is sent there. */
export async function readImport(kind: ImportKind, path: string, server?: string, maxBytes = MAX_IMPORT_BYTES): Promise<LoadedImport> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new AuditError('SPEC_UNREADABLE', `cannot read the ${WHAT[kind]} ${path}: not a file`);
    if (info.size > maxBytes) {
      throw new AuditError('SPEC_UNREADABLE', `the ${WHAT[kind]} ${path} is ${info.size} bytes, more than the ${maxBytes} read; export fewer requests`);
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof AuditError) throw error;
    const code = errorCode(error);
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new AuditError('SPEC_UNREADABLE', `cannot read the ${WHAT[kind]} ${path}: ${why}`);
  }
  const parsed = kind === 'har' ? parseHar(text, path) : parsePostman(text, path, server);
  return { ...parsed, kind, path };
}

export interface Imported {
  spec: ApiSpec;
  notes: string[];
  /** Operations the imports added (not already in the published spec). */
  added: number;
}

/**
 * The imports as one spec, merged into `published` when given. `origin` and `prefix` are the
 * target's: requests elsewhere are dropped, paths are written relative to the prefix. `guessed`:
 * `published` was only discovered by crawling, so an imported operation replaces its guess.
 */
export function importedSpec(imports: readonly LoadedImport[], origin: string, prefix: string, published: ApiSpec | undefined, guessed = false, harIdentities = false): Imported {
  const notes: string[] = [];
  const merged: JsonObject = published === undefined ? { openapi: '3.1.0', info: { title: 'imported', version: 'imported' }, paths: {} } : structuredClone(published.document);
  const paths: JsonObject = isObject(merged.paths) ? merged.paths : (merged.paths = {});
  const known = new Map<string, string>();
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const method of Object.keys(item)) known.set(structuralKey(method, path), path);
    known.set(structuralKey('', path), path);
  }
  let added = 0;
  let replaced = 0;
  const ours = new Set<string>();
  for (const loaded of imports) {
    const source = `${loaded.kind}:${loaded.path}`;
    const built = buildDocument(loaded.observed, { origin, prefix, source }, source);
    let mine = 0;
    let already = 0;
    for (const [path, item] of Object.entries(built.document.paths as JsonObject)) {
      for (const [method, operation] of Object.entries(item as JsonObject)) {
        const key = structuralKey(method, path);
        if (known.has(key) && (!guessed || ours.has(key))) {
          already++;
          continue;
        }
        const replacing = known.has(key);
        if (replacing) replaced++;
        ours.add(key);
        // Under the published path's own spelling of its parameters, when the route is known.
        const existing = known.get(structuralKey('', path));
        const target = existing ?? path;
        const renamed = existing === undefined ? (operation as JsonObject) : renameParameters(operation as JsonObject, path, existing);
        const slot = (paths[target] ??= {}) as JsonObject;
        slot[method] = renamed;
        known.set(structuralKey(method, target), target);
        known.set(structuralKey('', target), target);
        if (!replacing) mine++;
      }
    }
    const schemes = isObject(built.document.components) ? built.document.components.securitySchemes : undefined;
    if (isObject(schemes)) {
      const components = (merged.components ??= {}) as JsonObject;
      const all = (components.securitySchemes ??= {}) as JsonObject;
      for (const [name, scheme] of Object.entries(schemes)) all[name] ??= scheme;
    }
    added += mine;
    notes.push(
      `import: ${WHAT[loaded.kind]} ${loaded.path}: ${built.kept} request(s) to the target, ${mine} operation(s) added${published === undefined ? '' : `, ${already} already in the spec`}` +
        (built.dropped > 0 ? `; ${built.dropped} request(s) to other origins or outside ${prefix || '/'} left out` : '') +
        (loaded.skipped > 0 ? `; ${loaded.skipped} entr${loaded.skipped === 1 ? 'y' : 'ies'} not read${loaded.capped ? ' (over the cap)' : ''}` : ''),
    );
    if (built.credentialsSeen) {
      notes.push(harIdentities && loaded.kind === 'har'
        ? `import: credentials seen in ${loaded.path} name the security of the routes and are in no document; --identities-from-har makes its sign-ins (else its credentials) identities`
        : `import: credentials seen in ${loaded.path} were used only to name the security of the routes; their values are in no document and act as no identity (pass --identity${loaded.kind === 'har' ? ' or --identities-from-har' : ''})`);
    }
  }
  if (replaced > 0) notes.push(`import: ${replaced} discovered operation(s) replaced by what the import says of them`);
  const source = [published?.source, ...imports.map((i) => `${i.kind}:${i.path}`)].filter((s) => s !== undefined).join(' + ');
  return { spec: buildSpec(merged, source), notes, added };
}

function renameParameters(operation: JsonObject, from: string, to: string): JsonObject {
  const fromNames = [...from.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const toNames = [...to.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const parameters = Array.isArray(operation.parameters) ? operation.parameters : [];
  return {
    ...operation,
    parameters: parameters.map((p) => {
      if (!isObject(p) || p.in !== 'path' || typeof p.name !== 'string') return p;
      const index = fromNames.indexOf(p.name);
      return index >= 0 && toNames[index] !== undefined ? { ...p, name: toNames[index] } : p;
    }),
  };
}
