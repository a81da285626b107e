// HAR 1.2 entries made from real requests, written the way browser developer tools save them.

/** Sends one request and returns it as a HAR entry. */
export async function record(method: string, url: string, headers: Record<string, string>, body?: string): Promise<{ entry: unknown; json: unknown }> {
  const answer = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await answer.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = new URL(url);
  return {
    json,
    entry: {
      startedDateTime: new Date().toISOString(),
      time: 1,
      request: {
        method,
        url,
        httpVersion: 'HTTP/1.1',
        headers: Object.entries({ Host: parsed.host, 'User-Agent': 'Mozilla/5.0', ...headers }).map(([name, value]) => ({ name, value })),
        queryString: [...parsed.searchParams].map(([name, value]) => ({ name, value })),
        cookies: [],
        headersSize: -1,
        bodySize: body?.length ?? 0,
        ...(body === undefined ? {} : { postData: { mimeType: headers['Content-Type'] ?? 'application/json', text: body } }),
      },
      response: {
        status: answer.status,
        statusText: answer.statusText,
        httpVersion: 'HTTP/1.1',
        headers: [...answer.headers].map(([name, value]) => ({ name, value })),
        cookies: [],
        content: { size: text.length, mimeType: answer.headers.get('content-type') ?? 'x-unknown', text },
        redirectURL: '',
        headersSize: -1,
        bodySize: text.length,
      },
      cache: {},
      timings: { send: 0, wait: 1, receive: 0 },
    },
  };
}

/** A whole HAR file of these entries. */
export function harFile(entries: unknown[]): string {
  return JSON.stringify({ log: { version: '1.2', creator: { name: 'WebInspector', version: '537.36' }, pages: [], entries } });
}
