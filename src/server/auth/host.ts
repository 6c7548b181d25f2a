// Host header check against DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1
// reaches the server with `Host: evil.example:PORT` (and a matching Origin, so the origin check cannot see it).
// Only names that cannot be rebound by someone else are accepted: loopback names, the listen host itself, the
// configured `allowed_hosts`, and, when listening on a wildcard address, IP literals (a rebinding needs a DNS
// name). Runs before auth on every HTTP request and WebSocket upgrade.
import { isIP } from "node:net";

/** The host name of a Host header (`name`, `name:port`, `[v6]`, `[v6]:port`), lower case, without a final dot. */
export function hostName(header: string): string | undefined {
  const h = header.trim().toLowerCase();
  const m = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h) ?? /^([^:[\]\s/@]+)(?::\d{1,5})?$/.exec(h);
  if (!m) return undefined;
  return m[1]!.replace(/\.$/, "");
}

const isLoopbackName = (name: string) =>
  name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);

/** An empty host, `0.0.0.0` or `::` binds every interface. */
export const isWildcardHost = (host: string) => {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "" || h === "0.0.0.0" || h === "::" || h === "0:0:0:0:0:0:0:0";
};

export class HostCheck {
  private readonly listen: string;
  private readonly wildcard: boolean;
  private readonly allowed: Set<string>;

  constructor(listenHost: string, allowedHosts: readonly string[]) {
    this.wildcard = isWildcardHost(listenHost);
    this.listen = listenHost
      .replace(/^\[|\]$/g, "")
      .toLowerCase()
      .replace(/\.$/, "");
    this.allowed = new Set(
      allowedHosts.map((h) => hostName(h) ?? h.toLowerCase()).filter((h): h is string => !!h),
    );
  }

  /**
   * Whether a request with this Host header may go on. No Host at all (HTTP/1.0 clients such as some scripts)
   * is allowed: browsers always send one, and a rebinding attack needs a browser.
   */
  allows(header: string | undefined): boolean {
    if (header === undefined) return true;
    const name = hostName(header);
    if (name === undefined) return false;
    if (isLoopbackName(name) || this.allowed.has(name)) return true;
    if (this.wildcard) return isIP(name) !== 0;
    return name === this.listen;
  }
}

export const HOST_DENIED_MESSAGE = "request host is not allowed";
