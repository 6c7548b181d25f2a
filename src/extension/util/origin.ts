// Where a URL points, for deciding what may be sent there: a token belongs to one origin and goes nowhere else.
// No `vscode` import.

/**
 * The normalized origin of an http(s) URL, `scheme://host:port` with the port always written (80/443 when the URL
 * leaves it out) and the host as WHATWG URL normalizes it (lower case, punycode, IPv6 in brackets); undefined for
 * anything else. `http://Example.com/x` and `http://example.com:80` are the same origin; `https://example.com` and
 * `http://example.com:443` are not.
 */
export function serverOrigin(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
  if (!parsed.hostname) return undefined;
  const port = parsed.port || (parsed.protocol === "https:" ? "443" : "80");
  return `${parsed.protocol}//${parsed.hostname}:${port}`;
}

/** Whether an http(s) URL names this machine: `localhost`, 127.0.0.0/8 or `[::1]`. */
export function isLoopbackUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return false;
  const host = parsed.hostname;
  return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}
