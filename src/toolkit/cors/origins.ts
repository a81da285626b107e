// CORS origins must be exact serialized origins, compared byte for byte with the request's
// Origin. Wildcards, patterns and `null` are where CORS allowlists usually go wrong.

export function checkOrigins(origins: readonly string[]): string[] {
  const problems: string[] = [];
  for (const origin of origins) {
    const problem = originProblem(origin);
    if (problem !== undefined) problems.push(`RAMPART_CORS_ORIGINS: "${origin}" ${problem}`);
  }
  return problems;
}

function originProblem(origin: string): string | undefined {
  if (origin === 'null') return 'is refused: the null origin is shared by sandboxed documents and local files';
  if (origin.includes('*')) return 'is refused: wildcards allow every site; list exact origins';
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return 'is not an origin; write scheme://host[:port]';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must use http or https';
  if (parsed.origin !== origin) return `is not exact; did you mean "${parsed.origin}"?`;
  return undefined;
}
