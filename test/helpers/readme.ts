// Pieces of the README that tests run as written.
import { readFileSync } from 'node:fs';

export const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The statements of the README's "Database roles" SQL block, comments removed. */
export function readmeRoleSql(): string[] {
  const section = README.slice(README.indexOf('### Database roles'));
  const block = /```sql\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .split('\n')
    .map((line) => line.replace(/--.*$/, '').trim())
    .join(' ')
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '');
}
