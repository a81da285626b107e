// Values learned from responses: ids and fields a listing revealed, reused as parameter values
// so that requests reach real objects (a probe on a missing object proves nothing).
import type { Parameter } from './load.ts';
import { isObject } from './refs.ts';
import type { Json } from './refs.ts';

const PER_KEY = 5;

function collectionOf(path: string): string {
  // `/items/{id}` and `/items` share the collection `/items`.
  const cut = path.search(/\/\{[^}]+\}/);
  return (cut === -1 ? path : path.slice(0, cut)).replace(/\/+$/, '') || '/';
}

export class ValueBank {
  /** collection → key (lower case) → values */
  readonly #byCollection = new Map<string, Map<string, string[]>>();
  readonly #global = new Map<string, string[]>();

  /** Records the scalar fields of a JSON answer to a request on `path` (a spec template). */
  learn(path: string, body: Json): void {
    const collection = collectionOf(path);
    const walk = (node: Json, depth: number): void => {
      if (depth > 4) return;
      if (Array.isArray(node)) {
        for (const child of node.slice(0, 20)) walk(child, depth + 1);
      } else if (isObject(node)) {
        for (const [key, value] of Object.entries(node)) {
          if (typeof value === 'string' || typeof value === 'number') {
            const text = String(value);
            if (text.length === 0 || text.length > 200) continue;
            this.#add(this.#collection(collection), key.toLowerCase(), text);
            this.#add(this.#global, key.toLowerCase(), text);
          } else {
            walk(value, depth + 1);
          }
        }
      }
    };
    walk(body, 0);
  }

  /**
   * A learned value for the parameter, if any fits its type: from answers of the same collection
   * (`own`), or from any answer with a field of that name (`any`).
   */
  suggest(path: string, parameter: Parameter, type: string | undefined, scope: 'own' | 'any'): string | undefined {
    const name = parameter.name.toLowerCase();
    const fits = (value: string): boolean =>
      type === 'integer' ? /^-?\d+$/.test(value) : type === 'number' ? !Number.isNaN(Number(value)) : true;
    const candidates: (string[] | undefined)[] = [];
    const own = this.#byCollection.get(collectionOf(path));
    if (parameter.in === 'path') {
      // `/items/{id}` or `/items/{itemId}`: the ids a listing of `/items` revealed.
      candidates.push(own?.get(name));
      if (/id$/i.test(name)) candidates.push(own?.get('id'));
    } else {
      candidates.push(own?.get(name));
    }
    if (scope === 'any') candidates.push(this.#global.get(name));
    for (const list of candidates) {
      const value = list?.find(fits);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  #collection(collection: string): Map<string, string[]> {
    let map = this.#byCollection.get(collection);
    if (!map) {
      map = new Map();
      this.#byCollection.set(collection, map);
    }
    return map;
  }

  #add(map: Map<string, string[]>, key: string, value: string): void {
    const list = map.get(key) ?? [];
    if (list.length < PER_KEY && !list.includes(value)) list.push(value);
    map.set(key, list);
  }
}
