// The README and the docs/ pages it links to: the pieces that tests hold to the code.
import { readdirSync, readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);

export const README = readFileSync(new URL('README.md', root), 'utf8');

/** The docs/ pages, by file name (`auditor.md`, …). */
export const DOCS_PAGES: ReadonlyMap<string, string> = new Map(
  readdirSync(new URL('docs/', root)).filter((name) => name.endsWith('.md')).sort()
    .map((name) => [name, readFileSync(new URL(`docs/${name}`, root), 'utf8')]),
);

/** One docs/ page's text; a missing page fails the test that asks for it. */
export function docsPage(name: string): string {
  const page = DOCS_PAGES.get(name);
  if (page === undefined) throw new Error(`docs/${name} does not exist`);
  return page;
}

/** Everything a reader can reach from the README: the README and every docs/ page. */
export const DOCUMENTATION = [README, ...DOCS_PAGES.values()].join('\n\n');

/** The statements of the "Database roles" SQL block (docs/configuration.md), comments removed. */
export function readmeRoleSql(): string[] {
  const page = docsPage('configuration.md');
  const section = page.slice(page.indexOf('## Database roles'));
  const block = /```sql\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .split('\n')
    .map((line) => line.replace(/--.*$/, '').trim())
    .join(' ')
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '');
}
