// What a response reveals about other routes: Location, Link and Content-Location headers,
// links in HTML, and path-like strings in JSON. Only same-origin URLs are kept.
import type { HttpResponse } from '../http/client.ts';
import { isObject } from '../spec/refs.ts';
import type { Json } from '../spec/refs.ts';

const PATHLIKE = /^\/(?!\/)[\w\-./~%@:+]*(?:\?[\w\-./~%=&+:]*)?$/;
const STATIC_ASSET = /\.(?:css|js|mjs|map|png|jpe?g|gif|svg|ico|webp|woff2?|ttf|eot|txt)$/i;

function absolute(value: string, base: URL): URL | undefined {
  try {
    const url = new URL(value, base);
    url.hash = '';
    return url;
  } catch {
    return undefined;
  }
}

export function parseJson(text: string): Json | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** Same-origin URLs the response points at, static assets excluded. */
export function revealedLinks(response: HttpResponse, requestUrl: URL): URL[] {
  const found = new Map<string, URL>();
  const add = (value: string): void => {
    const url = absolute(value, requestUrl);
    if (url === undefined || url.origin !== requestUrl.origin || STATIC_ASSET.test(url.pathname)) return;
    found.set(url.href, url);
  };
  const headers = response.headers;
  if (headers.location !== undefined) add(headers.location);
  if (headers['content-location'] !== undefined) add(headers['content-location']);
  if (headers.link !== undefined) {
    for (const match of headers.link.matchAll(/<([^>]+)>/g)) add(match[1]!);
  }
  const type = headers['content-type'] ?? '';
  if (/html/i.test(type)) {
    for (const match of response.text.matchAll(/\b(?:href|src|action)\s*=\s*["']([^"'#]+)["']/gi)) add(match[1]!);
  } else {
    const json = parseJson(response.text);
    if (json !== undefined) {
      const walk = (node: Json, depth: number): void => {
        if (depth > 6) return;
        if (typeof node === 'string') {
          if (PATHLIKE.test(node) || (/^https?:\/\//.test(node) && node.length < 500)) add(node);
        } else if (Array.isArray(node)) {
          for (const child of node.slice(0, 50)) walk(child, depth + 1);
        } else if (isObject(node)) {
          for (const child of Object.values(node)) walk(child, depth + 1);
        }
      };
      walk(json, 0);
    }
  }
  return [...found.values()];
}
