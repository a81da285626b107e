// Host header allowlist: requests naming any other host get 400, which defeats DNS
// rebinding against the API and Host-header poisoning of absolute URLs it builds.

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export function createHostCheck(allowedHosts: readonly string[], development: boolean): (host: string | undefined) => boolean {
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  if (development) for (const name of LOOPBACK_NAMES) allowed.add(name);
  return (host) => host !== undefined && allowed.has(hostName(host));
}

/** `Example.COM.:443` → `example.com`; `[::1]:3000` → `[::1]`. */
export function hostName(host: string): string {
  let name = host.toLowerCase();
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    return end === -1 ? name : name.slice(0, end + 1);
  }
  const colon = name.indexOf(':');
  if (colon !== -1) name = name.slice(0, colon);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
