// The app's own name, for the values the toolkit would otherwise stamp with its own on the
// wire (token issuer and audience, OAuth client ids): the `name` in the package.json of the
// directory the app runs from, without an npm scope or a trailing `-api`; `rampart` when
// there is none (the reference service's own package is named rampart).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const USABLE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function appName(cwd: string): string {
  let name: unknown;
  try {
    name = (JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { name?: unknown }).name;
  } catch {
    return 'rampart'; // no package.json, or not JSON: nothing of the app's to go by
  }
  if (typeof name !== 'string') return 'rampart';
  const base = name.replace(/^@[^/]+\//, '').replace(/-api$/, '');
  return USABLE.test(base) ? base : 'rampart';
}
