// The passive half of the errors check: every answer the audit received, whichever check sent
// the request, is read for framework debug pages, stack traces, SQL text, server paths,
// authentication-library messages and secrets (private keys, provider credentials). What the
// request itself carried is removed first, and a leak that the same route also shows in a
// successful answer is content, not an error.
import type { CheckContext } from '../check.ts';
import { Grouped } from '../check.ts';
import type { Answer } from '../http/answers.ts';
import { exchange, masked } from '../lib/evidence.ts';
import { answerText, locate } from '../lib/passive.ts';
import { findAuthLibraryMessage, findLeaks, findSecretText, secretValues } from '../lib/signatures.ts';
import type { Leak, LeakKind } from '../lib/signatures.ts';

export const LEAK_RULES: Record<LeakKind, string> = {
  'stack-trace': 'errors.stack-trace',
  'sql-text': 'errors.sql-text',
  'file-path': 'errors.file-path',
  'framework-message': 'errors.framework-message',
  'debug-page': 'errors.debug-page',
};

/**
 * The leaks worth one finding each: a debug page stands for the traceback, paths and framework
 * names it shows (one finding, not four), and a stack trace for the paths in its frames.
 */
export function reportable(leaks: readonly Leak[]): Leak[] {
  const kinds = new Set(leaks.map((l) => l.kind));
  if (kinds.has('debug-page')) return leaks.filter((l) => l.kind === 'debug-page' || l.kind === 'sql-text');
  return leaks.filter((l) => !(l.kind === 'file-path' && kinds.has('stack-trace')));
}

function why(answer: Answer): string {
  const purpose = answer.purpose ?? 'a request';
  return `the answer to a request sent for "${purpose.length > 90 ? `${purpose.slice(0, 90)}…` : purpose}"`;
}

export function reviewAnswers(ctx: CheckContext): void {
  const grouped = new Grouped(ctx);
  const located = ctx.answers.map((answer) => ({ answer, location: locate(ctx, answer.result.request.method, answer.result.request.url) }));
  // Leaks a route shows in its successful answers are what it serves (a tutorial, a log viewer).
  const served = new Map<string, Set<string>>();
  const servedOn = (route: string): Set<string> => {
    let names = served.get(route);
    if (names === undefined) {
      names = new Set();
      for (const { answer, location } of located) {
        const status = answer.result.response.status;
        if (status < 200 || status >= 300 || location.route !== route) continue;
        for (const leak of findLeaks(answerText(answer.result))) names.add(leak.name);
      }
      served.set(route, names);
    }
    return names;
  };
  for (const { answer, location } of located) {
    const { result } = answer;
    const status = result.response.status;
    if (status < 400) continue; // success pages are content; debug pages and library errors come with 4xx/5xx
    const text = answerText(result);
    const leaks = findLeaks(text);
    if (leaks.length > 0) {
      const content = servedOn(location.route);
      for (const leak of reportable(leaks.filter((l) => !content.has(l.name)))) {
        grouped.add(LEAK_RULES[leak.kind], location, () => ({
          summary: `${why(answer)} (${status}) contains a ${leak.name}: \`${leak.sample.slice(0, 160)}\`.`,
          exchanges: [exchange(`${location.method} ${location.route}: ${answer.purpose ?? 'request'}`, result, leak.sample)],
        }));
      }
    }
    for (const secret of findSecretText(text)) {
      // Only the kind and where it starts: the value itself stays out of the report.
      grouped.add('errors.secret', location, () => ({
        summary: `${why(answer)} (${status}) contains a ${secret.name} (\`${secret.sample.slice(0, 12)}…\`): an error path serialises a credential.`,
        exchanges: [masked(exchange(`${location.method} ${location.route}: ${answer.purpose ?? 'request'}`, result, secret.sample), [secret.sample, ...secretValues(text)])],
      }));
    }
    const auth = findAuthLibraryMessage(text);
    if (auth !== undefined && status < 500) {
      grouped.add('errors.verbose-auth', location, () => ({
        summary: `${why(answer)} (${status}) repeats the authentication library's own error (${auth.name}): \`${auth.sample.slice(0, 160)}\`. It tells an attacker which library checks tokens and which step a forged token failed.`,
        exchanges: [exchange(`${location.method} ${location.route}: ${answer.purpose ?? 'request'}`, result, auth.sample)],
      }));
    }
  }
  grouped.flush();
}
